// SPDX-License-Identifier: Apache-2.0
// The visitors' side: libwebsockets on the plugin thread's libuv loop (a foreign loop, so lws
// adds its handles to it and the host keeps running it). GET / serves the demo page, GET
// /widget.js and /widget.css the widget (embedded in the plugin at build time, no build step
// on the web side); /chat upgrades to the chat WebSocket. Every connection gets a handle; the
// owner hears about opens, whole text frames and closes, and queues frames back by handle.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "adapters/click_to_chat/chat_config.h"
#include "proxy/base/result.h"

struct lws;
struct lws_context;

namespace adapters::click_to_chat {

class WebServer {
 public:
  struct Handlers {
    std::function<bool(uint64_t)> opened;  // false = refused (the connection is closed)
    std::function<void(uint64_t, std::string_view)> frame;
    std::function<void(uint64_t)> closed;
  };

  static proxy::Result<std::unique_ptr<WebServer>> start(uv_loop_t* loop, const ChatConfig& config,
                                                         Handlers handlers);
  ~WebServer();
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  uint16_t port() const { return port_; }
  void send(uint64_t conn, std::string frame);
  // Sends what is queued, then closes.
  void close(uint64_t conn);

  // Starts tearing lws down on the loop; no handler is called afterwards. Then call
  // finishStop() from the loop until it returns true: on a foreign loop lws only closes its
  // handles, and its second stage may run only once they are all gone.
  void stop();
  bool finishStop();

  // For the lws callback.
  int onCallback(lws* wsi, int reason, void* user, void* in, size_t len);

 private:
  struct Conn {
    lws* wsi = nullptr;
    std::deque<std::string> out;
    std::string rx;
    bool skipping = false;  // the rest of an oversized or binary message
    bool closing = false;
  };
  WebServer() = default;
  int serveHttp(lws* wsi, std::string_view uri);
  bool originAllowed(lws* wsi) const;

  ChatConfig config_;
  Handlers handlers_;
  uv_loop_t* loop_ = nullptr;
  lws_context* context_ = nullptr;
  uint16_t port_ = 0;
  bool stopping_ = false;
  uint64_t next_conn_ = 0;
  std::unordered_map<uint64_t, Conn> conns_;
};

}  // namespace adapters::click_to_chat
