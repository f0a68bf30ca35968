// SPDX-License-Identifier: Apache-2.0
#include "adapters/metrics/metrics_server.h"

#include <libwebsockets.h>

#include <cstring>

#include "proxy/base/counters.h"
#include "proxy/base/log.h"

namespace adapters::metrics {

namespace {

constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

int respond(lws* wsi, unsigned status, const char* type, const std::string& body) {
  unsigned char head[LWS_PRE + 512];
  unsigned char* start = &head[LWS_PRE];
  unsigned char* p = start;
  unsigned char* end = &head[sizeof head - 1];
  if (lws_add_http_common_headers(wsi, status, type, body.size(), &p, end) != 0 ||
      lws_finalize_write_http_header(wsi, start, &p, end) != 0) {
    return -1;
  }
  std::string copy(LWS_PRE, '\0');
  copy.append(body);
  // lws keeps what the socket does not take at once and sends it on writable.
  lws_write(wsi, reinterpret_cast<unsigned char*>(copy.data() + LWS_PRE), body.size(),
            LWS_WRITE_HTTP_FINAL);
  return lws_http_transaction_completed(wsi) != 0 ? -1 : 0;
}

int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  if (reason == LWS_CALLBACK_HTTP) {
    auto* server = static_cast<MetricsServer*>(lws_context_user(lws_get_context(wsi)));
    const std::string_view uri(static_cast<const char*>(in));
    static auto scrapes = proxy::counters::get("metrics.scrapes");
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0 || uri != "/metrics") {
      return respond(wsi, 404, "text/plain", "not found; try GET /metrics\n");
    }
    scrapes.add();
    return respond(wsi, 200, kContentType, server->render());
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

const lws_protocols kProtocols[] = {
    {"http", callback, 0, 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

std::string MetricsServer::render() const {
  std::vector<Gauge> gauges;
  if (options_.gauges) {
    gauges = options_.gauges();
  }
  return renderPrometheus(proxy::counters::snapshot(), gauges);
}

proxy::Result<std::unique_ptr<MetricsServer>> MetricsServer::start(MetricsOptions options) {
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  server->options_ = std::move(options);
  uv_loop_t& loop = server->loop_;
  if (uv_loop_init(&loop) != 0) {
    return proxy::makeError(500, "cannot create the metrics endpoint's loop");
  }
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = server->options_.port;
  info.iface = server->options_.address.c_str();
  info.protocols = kProtocols;
  info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DISABLE_IPV6;
  void* loops[1] = {&loop};
  info.foreign_loops = loops;
  info.user = server.get();
  info.pcontext = &server->context_;
  server->context_ = lws_create_context(&info);
  if (server->context_ == nullptr) {
    uv_loop_close(&loop);
    return proxy::makeError(500, "cannot start the metrics endpoint on " +
                                     server->options_.address + ":" +
                                     std::to_string(server->options_.port));
  }
  lws_vhost* vhost = lws_get_vhost_by_name(server->context_, "default");
  const int port = vhost != nullptr ? lws_get_vhost_listen_port(vhost) : -1;
  server->port_ = static_cast<uint16_t>(port > 0 ? port : 0);
  uv_async_init(&loop, &server->stop_, [](uv_async_t* async) {
    auto* self = static_cast<MetricsServer*>(async->data);
    lws_context_destroy(self->context_);  // finishes on the loop; pcontext says when
    uv_close(reinterpret_cast<uv_handle_t*>(async), nullptr);
  });
  server->stop_.data = server.get();
  server->thread_ = std::thread([loop = &loop] {
    proxy::log::setThreadTag("metrics");
    uv_run(loop, UV_RUN_DEFAULT);
  });
  if (port <= 0) {
    return proxy::makeError(500, "the metrics endpoint has no listening port");
  }
  LOG_INFO("metrics: Prometheus endpoint on http://%s:%u/metrics", server->options_.address.c_str(),
           server->port_);
  return server;
}

MetricsServer::~MetricsServer() {
  if (thread_.joinable()) {
    uv_async_send(&stop_);
    thread_.join();
    if (context_ != nullptr) {
      lws_context_destroy(context_);  // the second stage, now that the loop ran down
    }
    uv_loop_close(&loop_);
  }
}

}  // namespace adapters::metrics
