// SPDX-License-Identifier: Apache-2.0
#include "proxy/http/http_server.h"

#include <libwebsockets.h>

#include <cstring>

#include "proxy/base/log.h"

namespace proxy::http {

Result<std::unique_ptr<HttpServer>> HttpServer::start(HttpServerOptions options,
                                                      const lws_protocols* protocols, void* user) {
  std::unique_ptr<HttpServer> server(new HttpServer());
  server->options_ = std::move(options);
  const HttpServerOptions& o = server->options_;
  const bool tls = !o.certificate.empty();
  if (tls != !o.private_key.empty()) {
    return makeError(400, "the " + o.name + " needs both a certificate and a key");
  }
  uv_loop_t& loop = server->loop_;
  if (uv_loop_init(&loop) != 0) {
    return makeError(500, "cannot create the " + o.name + "'s loop");
  }
  lws_set_log_level(LLL_ERR, nullptr);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = o.port;
  info.iface = o.address.c_str();
  info.protocols = protocols;
  info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DISABLE_IPV6;
  if (tls) {
    // The listener's PEM files; lws loads them into the default vhost's SSL_CTX.
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = o.certificate.c_str();
    info.ssl_private_key_filepath = o.private_key.c_str();
  }
  void* loops[1] = {&loop};
  info.foreign_loops = loops;
  info.user = user;
  info.pcontext = &server->context_;
  server->context_ = lws_create_context(&info);
  if (server->context_ == nullptr) {
    uv_loop_close(&loop);
    return makeError(
        500, "cannot start the " + o.name + " on " + o.address + ":" + std::to_string(o.port));
  }
  lws_vhost* vhost = lws_get_vhost_by_name(server->context_, "default");
  const int port = vhost != nullptr ? lws_get_vhost_listen_port(vhost) : -1;
  server->port_ = static_cast<uint16_t>(port > 0 ? port : 0);
  // The stop request: destroy the context on the loop, which then runs out of handles.
  uv_async_init(&loop, &server->stop_, [](uv_async_t* async) {
    auto* self = static_cast<HttpServer*>(async->data);
    lws_context_destroy(self->context_);  // finishes on the loop; pcontext says when
    uv_close(reinterpret_cast<uv_handle_t*>(&self->wake_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(async), nullptr);
  });
  server->stop_.data = server.get();
  uv_async_init(&loop, &server->wake_,
                [](uv_async_t* async) { static_cast<HttpServer*>(async->data)->runPosted(); });
  server->wake_.data = server.get();
  server->thread_ = std::thread([loop = &loop, tag = o.thread_tag] {
    if (!tag.empty()) {
      log::setThreadTag(tag);
    }
    uv_run(loop, UV_RUN_DEFAULT);
  });
  if (port <= 0) {
    return makeError(500, "the " + o.name + " has no listening port");
  }
  return server;
}

HttpServer::~HttpServer() {
  if (thread_.joinable()) {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      posted_.clear();
    }
    uv_async_send(&stop_);
    thread_.join();
    if (context_ != nullptr) {
      lws_context_destroy(context_);  // the second stage, now that the loop ran down
    }
    uv_loop_close(&loop_);
  }
}

void HttpServer::post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      return;
    }
    posted_.push_back(std::move(task));
  }
  uv_async_send(&wake_);
}

void HttpServer::runPosted() {
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard lock(mutex_);
    tasks.swap(posted_);
  }
  for (auto& task : tasks) {
    task();
  }
}

std::string HttpServer::baseUrl() const {
  return (tls() ? "https://" : "http://") + options_.address + ":" + std::to_string(port_);
}

int respond(lws* wsi, unsigned status, std::string_view content_type, std::string_view body,
            const HeaderList& headers) {
  std::string content(content_type);  // lws wants a C string
  size_t room = LWS_PRE + 1024;
  for (const auto& [name, value] : headers) {
    room += name.size() + value.size() + 8;
  }
  std::vector<unsigned char> head(room);
  unsigned char* start = head.data() + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = head.data() + head.size() - 1;
  if (lws_add_http_common_headers(wsi, status, content.empty() ? nullptr : content.c_str(),
                                  body.size(), &p, end) != 0) {
    return -1;
  }
  for (const auto& [name, value] : headers) {
    const std::string field = name + ":";  // lws wants "name:" with the colon
    if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(field.c_str()),
                                    reinterpret_cast<const unsigned char*>(value.data()),
                                    static_cast<int>(value.size()), &p, end) != 0) {
      return -1;
    }
  }
  if (lws_finalize_write_http_header(wsi, start, &p, end) != 0) {
    return -1;
  }
  if (!body.empty()) {
    std::string copy(LWS_PRE, '\0');
    copy.append(body);
    // lws keeps what the socket did not take and sends it before anything else.
    if (lws_write(wsi, reinterpret_cast<unsigned char*>(copy.data() + LWS_PRE), body.size(),
                  LWS_WRITE_HTTP_FINAL) < 0) {
      return -1;
    }
  }
  return lws_http_transaction_completed(wsi) != 0 ? -1 : 0;
}

std::string headerValue(lws* wsi, int token) {
  const auto t = static_cast<lws_token_indexes>(token);
  const int length = lws_hdr_total_length(wsi, t);
  if (length <= 0) {
    return {};
  }
  std::string value(static_cast<size_t>(length) + 1, '\0');
  const int copied = lws_hdr_copy(wsi, value.data(), length + 1, t);
  value.resize(copied > 0 ? static_cast<size_t>(copied) : 0);
  return value;
}

}  // namespace proxy::http
