// SPDX-License-Identifier: Apache-2.0
#include "adapters/click_to_chat/web_server.h"

#include <libwebsockets.h>

#include <cstring>

#include "adapters/click_to_chat/web_assets.h"
#include "adapters/lws_common/lws_io.h"

namespace adapters::click_to_chat {
namespace {

constexpr size_t kMaxQueuedFrames = 256;  // a visitor who stops reading is closed, not buffered

// Per-connection data; lws allocates it zeroed.
struct Session {
  uint64_t conn;
};

int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* server = static_cast<WebServer*>(lws_context_user(lws_get_context(wsi)));
  if (server == nullptr) {
    return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
  return server->onCallback(wsi, reason, user, in, len);
}

const lws_protocols kProtocols[] = {
    // Protocol 0 also takes plain HTTP and WebSockets that name no subprotocol.
    {"confab-chat", callback, sizeof(Session), 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

std::string header(lws* wsi, lws_token_indexes token) {
  return lws_io::requestHeader(wsi, token, 1024);
}

int respond(lws* wsi, unsigned status, const char* type, const unsigned char* body, size_t size,
            bool page) {
  unsigned char buf[LWS_PRE + 1024];
  unsigned char* start = &buf[LWS_PRE];
  unsigned char* p = start;
  unsigned char* end = &buf[sizeof buf - 1];
  static const char kCsp[] =
      "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
      "frame-ancestors 'none'";
  if (lws_add_http_common_headers(wsi, status, type, size, &p, end) != 0 ||
      lws_io::addHeader(wsi, "x-content-type-options:", "nosniff", &p, end) != 0 ||
      lws_io::addHeader(wsi, "cache-control:", "no-cache", &p, end) != 0 ||
      (page && lws_io::addHeader(wsi, "content-security-policy:", kCsp, &p, end) != 0) ||
      lws_finalize_write_http_header(wsi, start, &p, end) != 0) {
    return -1;
  }
  const std::string_view content(reinterpret_cast<const char*>(body), size);
  if (lws_io::writeWithPre(wsi, content, LWS_WRITE_HTTP_FINAL) < 0) {
    return -1;
  }
  return lws_http_transaction_completed(wsi) != 0 ? -1 : 0;
}

int respondText(lws* wsi, unsigned status, std::string_view text) {
  return respond(wsi, status, "text/plain", reinterpret_cast<const unsigned char*>(text.data()),
                 text.size(), false);
}

}  // namespace

proxy::Result<std::unique_ptr<WebServer>> WebServer::start(uv_loop_t* loop,
                                                           const ChatConfig& config,
                                                           Handlers handlers) {
  std::unique_ptr<WebServer> server(new WebServer());
  server->config_ = config;
  server->handlers_ = std::move(handlers);
  server->loop_ = loop;
  lws_set_log_level(LLL_ERR, nullptr);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = config.port;
  info.iface = server->config_.address.c_str();
  info.protocols = kProtocols;
  info.options = LWS_SERVER_OPTION_LIBUV;
  if (config.address.find(':') == std::string::npos) {
    info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  }
  void* loops[1] = {loop};
  info.foreign_loops = loops;
  info.user = server.get();
  info.pcontext = &server->context_;
  server->context_ = lws_create_context(&info);
  if (server->context_ == nullptr) {
    return proxy::makeError(500, "click_to_chat: cannot listen on " + config.address + ":" +
                                     std::to_string(config.port));
  }
  lws_vhost* vhost = lws_get_vhost_by_name(server->context_, "default");
  const int port = vhost != nullptr ? lws_get_vhost_listen_port(vhost) : -1;
  if (port <= 0) {
    server->stop();
    return proxy::makeError(500, "click_to_chat: no listening port");
  }
  server->port_ = static_cast<uint16_t>(port);
  return server;
}

WebServer::~WebServer() {
  // Normally finishStop() has freed the context; this is the last resort (a loop that is not
  // run any more), where lws's handles must already be closed.
  if (context_ != nullptr) {
    stopping_ = true;
    lws_context_destroy(context_);
    if (context_ != nullptr) {
      lws_context_destroy(context_);
    }
  }
}

void WebServer::stop() {
  if (stopping_) {
    return;
  }
  stopping_ = true;
  if (context_ != nullptr) {
    lws_context_destroy(context_);  // closes the connections and lws's handles on the loop
  }
}

bool WebServer::finishStop() {
  if (context_ == nullptr) {
    return true;
  }
  // lws tags each of its static libuv handles with the context (handle->data); they are the
  // last to close. Until none is left, the second stage would free memory they still use.
  struct Walk {
    void* context;
    int left;
  } walk{context_, 0};
  uv_walk(
      loop_,
      [](uv_handle_t* h, void* arg) {
        auto* w = static_cast<Walk*>(arg);
        w->left += h->data == w->context ? 1 : 0;
      },
      &walk);
  if (walk.left > 0) {
    return false;
  }
  lws_context_destroy(context_);  // the second stage; pcontext turns context_ to nullptr
  return context_ == nullptr;
}

void WebServer::send(uint64_t conn, std::string frame) {
  auto it = conns_.find(conn);
  if (it == conns_.end() || it->second.closing) {
    return;
  }
  if (it->second.out.size() >= kMaxQueuedFrames) {
    it->second.out.clear();
    it->second.closing = true;
  } else {
    it->second.out.push_back(std::move(frame));
  }
  lws_callback_on_writable(it->second.wsi);
}

void WebServer::close(uint64_t conn) {
  auto it = conns_.find(conn);
  if (it != conns_.end() && !it->second.closing) {
    it->second.closing = true;
    lws_callback_on_writable(it->second.wsi);
  }
}

bool WebServer::originAllowed(lws* wsi) const {
  const std::string origin = header(wsi, WSI_TOKEN_ORIGIN);
  if (origin.empty()) {
    return true;  // not a browser: a script can claim any origin anyway
  }
  const std::string host = header(wsi, WSI_TOKEN_HOST);
  if (origin == "http://" + host || origin == "https://" + host) {
    return true;  // the page this plugin served
  }
  for (const std::string& allowed : config_.allowed_origins) {
    if (allowed == "*" || allowed == origin) {
      return true;
    }
  }
  return false;
}

int WebServer::serveHttp(lws* wsi, std::string_view uri) {
  if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0) {
    return respondText(wsi, 405, "method not allowed\n");
  }
  const std::string_view path = uri == "/" ? std::string_view("/index.html") : uri;
  for (size_t i = 0; i < kWebAssetCount; ++i) {
    const WebAsset& asset = kWebAssets[i];
    if (path == asset.path) {
      const bool page = std::strncmp(asset.content_type, "text/html", 9) == 0;
      return respond(wsi, 200, asset.content_type, asset.data, asset.size, page);
    }
  }
  return respondText(wsi, 404, "not found\n");
}

int WebServer::onCallback(lws* wsi, int reason_code, void* user, void* in, size_t len) {
  const auto reason = static_cast<lws_callback_reasons>(reason_code);
  auto* session = static_cast<Session*>(user);
  switch (reason) {
    case LWS_CALLBACK_HTTP:
      return serveHttp(wsi, std::string_view(static_cast<const char*>(in)));
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
      // A WebSocket upgrade: only /chat, only from an allowed page, not while shutting down.
      return stopping_ || header(wsi, WSI_TOKEN_GET_URI) != "/chat" || !originAllowed(wsi) ? 1 : 0;
    case LWS_CALLBACK_ESTABLISHED: {
      session->conn = ++next_conn_;
      conns_[session->conn].wsi = wsi;
      if (stopping_ || !handlers_.opened(session->conn)) {
        send(session->conn,
             R"({"type":"system","text":"Too many visitors right now; please try again later."})");
        close(session->conn);
      }
      return 0;
    }
    case LWS_CALLBACK_RECEIVE: {
      auto it = conns_.find(session->conn);
      if (it == conns_.end()) {
        return -1;
      }
      Conn& c = it->second;
      // Room for the largest allowed text with every character JSON-escaped, plus the envelope.
      const size_t cap = static_cast<size_t>(config_.max_message_bytes) * 6 + 256;
      if (lws_frame_is_binary(wsi) != 0 || c.rx.size() + len > cap) {
        c.skipping = true;
        c.rx.clear();
      } else if (!c.skipping) {
        c.rx.append(static_cast<const char*>(in), len);
      }
      if (lws_is_final_fragment(wsi) != 0 && lws_remaining_packet_payload(wsi) == 0) {
        const bool dropped = c.skipping;
        std::string message = std::move(c.rx);
        c.rx.clear();
        c.skipping = false;
        if (!stopping_) {
          // An oversized message reaches the owner as an empty frame: a counted bad frame.
          handlers_.frame(session->conn, dropped ? std::string_view() : message);
        }
      }
      return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE: {
      auto it = conns_.find(session->conn);
      if (it == conns_.end()) {
        return -1;
      }
      Conn& c = it->second;
      if (!c.out.empty()) {
        const std::string frame = std::move(c.out.front());
        c.out.pop_front();
        if (lws_io::writeWithPre(wsi, frame, LWS_WRITE_TEXT) < static_cast<int>(frame.size())) {
          return -1;
        }
        if (!c.out.empty() || c.closing) {
          lws_callback_on_writable(wsi);
        }
        return 0;
      }
      if (c.closing) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, nullptr, 0);
        return -1;
      }
      return 0;
    }
    case LWS_CALLBACK_CLOSED: {
      auto it = conns_.find(session->conn);
      if (it != conns_.end()) {
        conns_.erase(it);
        if (!stopping_) {
          handlers_.closed(session->conn);
        }
      }
      return 0;
    }
    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

}  // namespace adapters::click_to_chat
