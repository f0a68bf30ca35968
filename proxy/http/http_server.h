// SPDX-License-Identifier: Apache-2.0
// An HTTP(S) listener (libwebsockets on a libuv loop) on a thread of its own: what the
// group-chat file endpoint, XCAP and the adapters' endpoints share. Running lws on its own
// loop keeps slow clients, disk and TLS work off the SIP shards, and lws tears its handles
// down on a loop nobody else walks. The caller brings the lws protocol table (the
// per-request logic); HttpServer owns the loop, the thread, the context and the stop.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "proxy/base/result.h"

struct lws;
struct lws_context;
struct lws_protocols;

namespace proxy::http {

struct HttpServerOptions {
  std::string name = "HTTP endpoint";  // for error texts
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0 = an ephemeral port (tests); see port()
  // PEM paths: both set = HTTPS, both empty = plain HTTP.
  std::string certificate;
  std::string private_key;
  std::string thread_tag;  // the server thread's log tag ("" = none)
};

class HttpServer {
 public:
  // `protocols` (terminated by a null entry) must outlive the server; `user` is what
  // lws_context_user() returns in the callbacks.
  static Result<std::unique_ptr<HttpServer>> start(HttpServerOptions options,
                                                   const lws_protocols* protocols, void* user);
  // Stops the loop and joins the thread: no callback runs after it returns.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const { return port_; }
  bool tls() const { return !options_.certificate.empty(); }
  const HttpServerOptions& options() const { return options_; }
  // "http://127.0.0.1:5080" (https when TLS).
  std::string baseUrl() const;

  // Runs `task` on the server's thread (callable from any thread); dropped once stopping.
  void post(std::function<void()> task);

 private:
  HttpServer() = default;
  void runPosted();

  HttpServerOptions options_;
  uv_loop_t loop_{};
  uv_async_t stop_{};
  uv_async_t wake_{};
  lws_context* context_ = nullptr;
  uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mutex_;  // guards posted_ and stopping_ (cross-thread hand-off only)
  std::vector<std::function<void()>> posted_;
  bool stopping_ = false;
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Writes a complete response (status, Content-Type, Content-Length, extra headers, body)
// and ends the transaction. Returns what an lws HTTP callback should return (-1 = close).
int respond(lws* wsi, unsigned status, std::string_view content_type, std::string_view body,
            const HeaderList& headers = {});

// The value of header `token` (an lws_token_indexes), "" when absent.
std::string headerValue(lws* wsi, int token);

}  // namespace proxy::http
