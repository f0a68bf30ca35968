// SPDX-License-Identifier: Apache-2.0
#include "proxy/http/http_requests.h"

#include <libwebsockets.h>

#include <charconv>
#include <cstring>

#include "proxy/base/counters.h"

namespace proxy::http {

// Per-connection state; lws allocates it zeroed, so only plain members. The request
// being read lives on the heap (owned here, freed when answered or closed).
struct RequestServer::Connection {
  uint64_t id;
  HttpRequest* reading;
  bool too_large;
};

namespace {

RequestServer& serverOf(lws* wsi) {
  return *static_cast<RequestServer*>(lws_context_user(lws_get_context(wsi)));
}

std::string methodOf(lws* wsi) {
  if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0) {
    return "GET";
  }
  if (lws_hdr_total_length(wsi, WSI_TOKEN_PUT_URI) > 0) {
    return "PUT";
  }
  if (lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI) > 0) {
    return "DELETE";
  }
  if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0) {
    return "POST";
  }
  return {};
}

void dropReading(RequestServer::Connection& c) {
  delete c.reading;
  c.reading = nullptr;
}

int onHttp(lws* wsi, RequestServer::Connection& c, std::string_view uri) {
  RequestServer& server = serverOf(wsi);
  dropReading(c);
  if (c.id == 0) {
    c.id = server.open(wsi);
  }
  auto request = std::make_unique<HttpRequest>();
  request->method = methodOf(wsi);
  if (request->method.empty()) {
    return respond(wsi, 405, "text/plain", "method not allowed\n", {{"Allow", "GET, PUT, DELETE"}});
  }
  request->path = std::string(uri);
  request->authorization = headerValue(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
  request->if_match = headerValue(wsi, WSI_TOKEN_HTTP_IF_MATCH);
  request->if_none_match = headerValue(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH);
  request->content_type = headerValue(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
  const std::string length_text = headerValue(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
  uint64_t length = 0;
  if (!length_text.empty()) {
    auto [end, ec] =
        std::from_chars(length_text.data(), length_text.data() + length_text.size(), length);
    if (ec != std::errc() || end != length_text.data() + length_text.size()) {
      respond(wsi, 400, "text/plain", "bad Content-Length\n");
      return -1;
    }
  }
  if (length_text.empty() && (request->method == "PUT" || request->method == "POST")) {
    respond(wsi, 411, "text/plain", "Content-Length required\n");
    return -1;  // a chunked body we will not read follows
  }
  if (length > server.maxBody()) {
    static auto refused = counters::get("http.refused_too_large");
    refused.add();
    respond(wsi, 413, "text/plain", "request body too large\n");
    return -1;  // the body is not read: the connection cannot carry another request
  }
  if (length == 0) {
    server.dispatch(c.id, std::move(*request));
    return 0;
  }
  request->body.reserve(length);
  c.reading = request.release();
  return 0;  // the body follows
}

int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* c = static_cast<RequestServer::Connection*>(user);
  switch (reason) {
    case LWS_CALLBACK_HTTP:
      return onHttp(wsi, *c, std::string_view(static_cast<const char*>(in)));
    case LWS_CALLBACK_HTTP_BODY:
      if (c->reading != nullptr) {
        if (c->reading->body.size() + len > serverOf(wsi).maxBody()) {
          c->too_large = true;  // a chunked body: its size was not announced
        } else {
          c->reading->body.append(static_cast<const char*>(in), len);
        }
      }
      return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
      if (c->reading == nullptr) {
        return 0;  // the request was answered already
      }
      if (c->too_large) {
        dropReading(*c);
        return respond(wsi, 413, "text/plain", "request body too large\n");
      }
      HttpRequest request = std::move(*c->reading);
      dropReading(*c);
      serverOf(wsi).dispatch(c->id, std::move(request));
      return 0;
    }
    case LWS_CALLBACK_HTTP_WRITEABLE:
      return c != nullptr && c->id != 0 ? serverOf(wsi).writeReady(wsi, c->id) : 0;
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
      if (c != nullptr) {
        dropReading(*c);
        if (c->id != 0) {
          serverOf(wsi).close(c->id);
          c->id = 0;
        }
      }
      break;
    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

const lws_protocols kProtocols[] = {
    {"http", callback, sizeof(RequestServer::Connection), 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

Result<std::unique_ptr<RequestServer>> RequestServer::start(HttpServerOptions options,
                                                            size_t max_body,
                                                            RequestHandler handler) {
  std::unique_ptr<RequestServer> self(new RequestServer());
  self->max_body_ = max_body;
  self->handler_ = std::move(handler);
  self->gate_ = std::make_shared<Gate>();
  self->gate_->server = self.get();
  auto server = HttpServer::start(std::move(options), kProtocols, self.get());
  if (!server) {
    return server.error();
  }
  self->server_ = std::move(*server);
  return self;
}

RequestServer::~RequestServer() {
  {
    std::lock_guard lock(gate_->mutex);
    gate_->server = nullptr;
  }
  server_.reset();  // joins the thread: no callback or posted task runs after this
}

uint64_t RequestServer::open(lws* wsi) {
  const uint64_t id = next_id_++;
  open_[id].wsi = wsi;
  return id;
}

void RequestServer::close(uint64_t id) { open_.erase(id); }

void RequestServer::dispatch(uint64_t id, HttpRequest request) {
  auto it = open_.find(id);
  if (it == open_.end()) {
    return;
  }
  it->second.answered = false;
  std::weak_ptr<Gate> gate = gate_;
  handler_(std::move(request), [gate, id](HttpResponse response) {
    auto g = gate.lock();
    if (!g) {
      return;
    }
    std::lock_guard lock(g->mutex);
    if (RequestServer* self = g->server) {
      self->server_->post([self, id, response = std::move(response)]() mutable {
        self->deliver(id, std::move(response));
      });
    }
  });
}

void RequestServer::deliver(uint64_t id, HttpResponse response) {
  auto it = open_.find(id);
  if (it == open_.end()) {
    static auto dropped = counters::get("http.replies_dropped");
    dropped.add();  // the client went away
    return;
  }
  it->second.response = std::move(response);
  it->second.answered = true;
  lws_callback_on_writable(it->second.wsi);
}

int RequestServer::writeReady(lws* wsi, uint64_t id) {
  auto it = open_.find(id);
  if (it == open_.end() || !it->second.answered) {
    return 0;
  }
  HttpResponse response = std::move(it->second.response);
  it->second.answered = false;
  return respond(wsi, response.status, response.content_type, response.body, response.headers);
}

}  // namespace proxy::http
