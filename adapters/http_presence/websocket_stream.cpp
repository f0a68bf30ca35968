// SPDX-License-Identifier: Apache-2.0
// GET /v1/presence/ws: a WebSocket whose client sends {"subscribe": [...]} and
// {"unsubscribe": [...]} and receives presence, error and heartbeat messages.
#include "adapters/http_presence/auth.h"
#include "adapters/http_presence/http_response.h"
#include "adapters/http_presence/http_util.h"
#include "adapters/http_presence/server_impl.h"

namespace adapters::http_presence {

// WebSocket upgrade: path, token and capacity are checked before the handshake completes.
int PresenceServer::Impl::filterWs(lws* wsi) {
  const std::string uri = header(wsi, WSI_TOKEN_GET_URI);
  const TokenConfig* t = config.findToken(bearerToken(wsi));
  if (uri != std::string(kApiPrefix) + "ws" || t == nullptr || !t->can_read) {
    count(t == nullptr ? "unauthenticated" : "ws_refused");
    return 1;
  }
  count("requests");
  if (rateLimit(*t) != 0) {
    return 1;
  }
  if (listenerCount() >= config.max_listeners) {
    count("listeners_refused");
    return 1;
  }
  return 0;
}

int PresenceServer::Impl::onWsEstablished(lws* wsi, Pss* pss) {
  release(pss);
  auto* s = new Session();
  pss->session = s;
  s->wsi = wsi;
  s->kind = Session::Kind::kWs;
  s->token = config.findToken(bearerToken(wsi));
  if (s->token == nullptr) {
    return -1;
  }
  streams.insert(s);
  count("ws_listeners");
  return 0;
}

void PresenceServer::Impl::sendWs(Session& s, const nlohmann::json& j) {
  enqueue(s, std::make_shared<const std::string>(dumpJson(j)));
}

int PresenceServer::Impl::onWsReceive(lws* wsi, Session& s, const void* in, size_t len) {
  if (s.ws_rx.size() + len > kMaxBody) {
    count("bad_requests");
    return -1;
  }
  s.ws_rx.append(static_cast<const char*>(in), len);
  if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) != 0) {
    return 0;
  }
  const nlohmann::json msg = nlohmann::json::parse(s.ws_rx, nullptr, false);
  s.ws_rx.clear();
  if (msg.is_discarded() || !msg.is_object()) {
    sendWs(s, {{"type", "error"}, {"status", 400}, {"error", "expected a JSON object"}});
    return 0;
  }
  if (rateLimit(*s.token) != 0) {
    sendWs(s, {{"type", "error"}, {"status", 429}, {"error", "rate limit exceeded"}});
    return 0;
  }
  for (const char* op : {"subscribe", "unsubscribe"}) {
    if (!msg.contains(op) || !msg[op].is_array()) {
      continue;
    }
    for (const auto& item : msg[op]) {
      const std::string aor = item.is_string() ? normaliseAor(item.get<std::string>()) : "";
      if (op[0] == 'u') {
        unwatch(s, aor);
        continue;
      }
      int status = userRefusal(*s.token, aor);
      if (status == 0 && s.users.size() >= config.max_batch) {
        status = 413;
      }
      if (status == 0) {
        status = ensureCached(aor);
      }
      if (status == 200) {
        watch(s, aor);
      } else {
        sendWs(s, {{"type", "error"}, {"id", aor}, {"status", status}});
      }
    }
  }
  return 0;
}

}  // namespace adapters::http_presence
