// SPDX-License-Identifier: Apache-2.0
#include "adapters/metrics/metrics_server.h"

#include <libwebsockets.h>

#include "proxy/base/counters.h"
#include "proxy/base/log.h"

namespace adapters::metrics {

namespace {

constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  if (reason == LWS_CALLBACK_HTTP) {
    auto* server = static_cast<MetricsServer*>(lws_context_user(lws_get_context(wsi)));
    const std::string_view uri(static_cast<const char*>(in));
    static auto scrapes = proxy::counters::get("metrics.scrapes");
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0 || uri != "/metrics") {
      return proxy::http::respond(wsi, 404, "text/plain", "not found; try GET /metrics\n");
    }
    scrapes.add();
    return proxy::http::respond(wsi, 200, kContentType, server->render());
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
  proxy::http::HttpServerOptions http;
  http.name = "metrics endpoint";
  http.address = server->options_.address;
  http.port = server->options_.port;
  http.thread_tag = "metrics";
  auto started = proxy::http::HttpServer::start(std::move(http), kProtocols, server.get());
  if (!started) {
    return started.error();
  }
  server->http_ = std::move(*started);
  LOG_INFO("metrics: Prometheus endpoint on http://%s:%u/metrics", server->options_.address.c_str(),
           server->port());
  return server;
}

MetricsServer::~MetricsServer() = default;

}  // namespace adapters::metrics
