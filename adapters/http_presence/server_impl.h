// SPDX-License-Identifier: Apache-2.0
// PresenceServer::Impl: the state of the HTTP presence API, shared by its parts. Each group of
// members is defined in its own file:
//   server.cpp            lifecycle, the lws callback and its dispatch, the housekeeping tick
//   http_routes.cpp       request routing and CORS preflight
//   auth.cpp              bearer tokens, scopes and rate limits
//   rest_handlers.cpp     GET / batch lookups and PUT (publish)
//   presence_cache.cpp    the bounded cache of subscribed users and incoming presence
//   streams.cpp           listeners common to SSE and WebSocket: fan-out, outbox, writes
//   sse_stream.cpp        GET /v1/presence/stream
//   websocket_stream.cpp  GET /v1/presence/ws
#pragma once

#include <libwebsockets.h>
#include <uv.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/http_presence/config.h"
#include "adapters/http_presence/presence_view.h"
#include "adapters/http_presence/rate_limiter.h"
#include "adapters/http_presence/server.h"
#include "adapters/http_presence/session.h"
#include "adapters/http_presence/webhooks.h"

namespace adapters::http_presence {

struct CacheEntry {
  PresenceState state;
  bool known = false;  // the first on_presence arrived
  int64_t last_used_ms = 0;
  uint32_t pins = 0;  // listeners and webhooks that keep it subscribed
};

struct PresenceServer::Impl {
  Config config;
  const confab_host_api* api;
  confab_host* host;
  lws_context* context = nullptr;
  uint16_t port = 0;
  bool stopping = false;
  RateLimiter limiter;
  WebhookSender webhooks;
  std::unordered_map<std::string, CacheEntry> cache;
  std::unordered_map<std::string, std::vector<Session*>> listeners;
  std::unordered_set<Session*> pending;
  std::unordered_set<Session*> streams;  // SSE and WebSocket sessions
  struct TickTimer {  // standard layout, sul first: the scheduler hands back &sul
    lws_sorted_usec_list_t sul;
    Impl* impl;
  } tick{{}, this};
  int64_t next_heartbeat_ms = 0;
  uv_timer_t reaper{};  // frees the server once lws has shut down (see shutdown())
  int reap_attempts = 0;

  Impl(Config c, const confab_host_api* a, confab_host* h)
      : config(std::move(c)),
        api(a),
        host(h),
        limiter(config.requests_per_second, config.burst),
        webhooks(config, a, h) {}

  void count(const char* name, uint64_t delta = 1) {
    if (delta != 0) {
      api->count(host, name, delta);
    }
  }
  void log(int level, const std::string& text) { api->log(host, level, text.c_str()); }

  // presence_cache.cpp
  // 200 when `aor` is (now) cached and subscribed, 404 when it is nobody here, 503 when full.
  int ensureCached(const std::string& aor);
  bool evictOne();
  void evictIdle(int64_t now);
  void onPresence(const confab_presence& p);

  // streams.cpp
  void push(const PresenceState& p);
  void enqueue(Session& s, const Frame& frame);
  void watch(Session& s, const std::string& aor);
  void unwatch(Session& s, std::string aor);
  void release(Pss* pss);
  size_t listenerCount() const { return streams.size(); }
  int writeStream(lws* wsi, Session& s);
  void sendHeartbeats();

  // auth.cpp
  unsigned admit(lws* wsi, Session& s, uint32_t& retry_after);
  uint32_t rateLimit(const TokenConfig& token);
  // 400 (not an AOR) or 403 (the token may not see it), else 0.
  static int userRefusal(const TokenConfig& token, const std::string& aor);

  // http_routes.cpp
  int onHttp(lws* wsi, Pss* pss, std::string_view uri);
  int preflight(lws* wsi, Session& s, const std::string& origin);

  // rest_handlers.cpp
  int onBody(Session& s, const void* in, size_t len);
  int onBodyComplete(lws* wsi, Session& s);
  int publish(lws* wsi, Session& s, const nlohmann::json& body);
  int lookup(lws* wsi, Session& s);
  bool lookupComplete(const Session& s) const;
  nlohmann::json entry(const std::string& aor, int status, int& http_status);
  int answerLookup(lws* wsi, Session& s);

  // sse_stream.cpp
  unsigned checkStreamUsers(const Session& s, const std::vector<std::string>& users,
                            std::string& why);
  int openSse(lws* wsi, Session& s);

  // websocket_stream.cpp
  int filterWs(lws* wsi);
  int onWsEstablished(lws* wsi, Pss* pss);
  void sendWs(Session& s, const nlohmann::json& j);
  int onWsReceive(lws* wsi, Session& s, const void* in, size_t len);

  // server.cpp
  void onTick();
  void scheduleTick();
  int dispatch(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
};

}  // namespace adapters::http_presence
