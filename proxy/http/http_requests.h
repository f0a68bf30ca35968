// SPDX-License-Identifier: Apache-2.0
// Whole requests in, whole responses out, answered asynchronously: a handler that needs
// another thread (a SIP shard) takes the request and calls Reply later, from any thread.
// The body is read up to a bound (413 beyond it, 411 for a PUT or POST without
// Content-Length; the connection is closed then); a reply for a
// connection that went away meanwhile is dropped. Built on HttpServer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "proxy/http/http_server.h"

namespace proxy::http {

struct HttpRequest {
  std::string method;  // "GET", "PUT", "DELETE", "POST"
  std::string path;    // percent-decoded by lws
  std::string authorization, if_match, if_none_match, content_type;
  std::string body;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type;  // "" = none (204, empty bodies)
  std::string body;
  HeaderList headers;
};

// Callable once, from any thread.
using Reply = std::function<void(HttpResponse)>;
// Called on the server's thread.
using RequestHandler = std::function<void(HttpRequest, Reply)>;

class RequestServer {
 public:
  static Result<std::unique_ptr<RequestServer>> start(HttpServerOptions options, size_t max_body,
                                                      RequestHandler handler);
  ~RequestServer();
  RequestServer(const RequestServer&) = delete;
  RequestServer& operator=(const RequestServer&) = delete;

  uint16_t port() const { return server_->port(); }
  std::string baseUrl() const { return server_->baseUrl(); }
  const HttpServer& server() const { return *server_; }

  // Used by the lws callback (server thread only).
  struct Connection;
  uint64_t open(lws* wsi);
  void close(uint64_t id);
  void dispatch(uint64_t id, HttpRequest request);
  void deliver(uint64_t id, HttpResponse response);
  int writeReady(lws* wsi, uint64_t id);
  size_t maxBody() const { return max_body_; }

 private:
  RequestServer() = default;

  std::unique_ptr<HttpServer> server_;
  size_t max_body_ = 0;
  RequestHandler handler_;
  struct Open {
    lws* wsi = nullptr;
    bool answered = false;
    HttpResponse response;
  };
  std::unordered_map<uint64_t, Open> open_;  // server thread only
  uint64_t next_id_ = 1;
  // What replies post through; emptied (under its lock) before the server stops, so a
  // reply that comes after is dropped.
  struct Gate {
    std::mutex mutex;
    RequestServer* server = nullptr;
  };
  std::shared_ptr<Gate> gate_;
};

}  // namespace proxy::http
