// SPDX-License-Identifier: Apache-2.0
#include "adapters/http_presence/server.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <fstream>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/http_presence/http_util.h"
#include "adapters/http_presence/presence_view.h"
#include "adapters/http_presence/rate_limiter.h"
#include "adapters/http_presence/webhooks.h"

extern const char kConfabHttpPresenceIndexHtml[];  // web/index.html, embedded at build time

namespace adapters::http_presence {
namespace {

constexpr std::string_view kApiPrefix = "/v1/presence/";
constexpr size_t kMaxBody = 64 * 1024;
constexpr size_t kMaxOutboxBytes = 1024 * 1024;  // a listener this far behind is dropped
constexpr int64_t kTickMs = 250;

using Clock = std::chrono::system_clock;
int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

using Frame = std::shared_ptr<const std::string>;  // one event, shared by all its listeners

struct Session {
  enum class Kind { kIdle, kAwaitBody, kPending, kSse, kWs };
  lws* wsi = nullptr;
  Kind kind = Kind::kIdle;
  bool is_put = false;
  std::string cors_origin;  // Access-Control-Allow-Origin to send ("" = none)
  const TokenConfig* token = nullptr;
  std::string path_user;  // the {aor} of GET/PUT
  std::string body;
  bool batch = false;
  std::vector<std::string> users;  // asked for (pending lookups) or watched (listeners)
  std::vector<int> status;         // per user of a pending lookup: 200, 403, 404, 503
  int64_t deadline_ms = 0;
  std::deque<Frame> outbox;
  size_t outbox_bytes = 0;
  std::string ws_rx;
  bool dropping = false;
};

struct Pss {  // lws per-session storage (allocated zeroed by lws): just our session
  Session* session;
};

struct CacheEntry {
  PresenceState state;
  bool known = false;  // the first on_presence arrived
  int64_t last_used_ms = 0;
  uint32_t pins = 0;  // listeners and webhooks that keep it subscribed
};

int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);

const lws_protocols kProtocols[] = {
    {"http", callback, sizeof(Pss), 0, 0, nullptr, 0},
    {"confab-presence", callback, sizeof(Pss), 0, 0, nullptr, 0},
    {WebhookSender::kProtocolName, callback, 0, 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

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

  // ---- cache -------------------------------------------------------------------------------

  // 200 when `aor` is (now) cached and subscribed, 404 when it is nobody here, 503 when full.
  int ensureCached(const std::string& aor) {
    const int64_t now = nowMs();
    if (auto it = cache.find(aor); it != cache.end()) {
      it->second.last_used_ms = now;
      return 200;
    }
    if (api->is_local_user(host, aor.c_str()) != 1) {
      return 404;
    }
    if (cache.size() >= config.max_cached_users && !evictOne()) {
      count("cache_full");
      return 503;
    }
    CacheEntry& e = cache[aor];  // before subscribe: the first state may arrive inside it
    e.state.aor = aor;
    e.last_used_ms = now;
    const int rc = api->subscribe(host, aor.c_str());
    if (rc != CONFAB_OK) {
      cache.erase(aor);
      return rc == CONFAB_ERR_INVALID ? 404 : 503;
    }
    return 200;
  }

  // Drops the least recently used entry nobody watches.
  bool evictOne() {
    auto victim = cache.end();
    for (auto it = cache.begin(); it != cache.end(); ++it) {
      if (it->second.pins == 0 &&
          (victim == cache.end() || it->second.last_used_ms < victim->second.last_used_ms)) {
        victim = it;
      }
    }
    if (victim == cache.end()) {
      return false;
    }
    api->unsubscribe(host, victim->first.c_str());
    cache.erase(victim);
    return true;
  }

  void evictIdle(int64_t now) {
    const int64_t idle_ms = static_cast<int64_t>(config.idle_unsubscribe_s) * 1000;
    for (auto it = cache.begin(); it != cache.end();) {
      if (it->second.pins == 0 && now - it->second.last_used_ms > idle_ms) {
        api->unsubscribe(host, it->first.c_str());
        it = cache.erase(it);
      } else {
        ++it;
      }
    }
  }

  void onPresence(const confab_presence& p) {
    if (p.aor == nullptr) {
      return;
    }
    auto it = cache.find(p.aor);
    if (it == cache.end()) {
      it = cache.find(normaliseAor(p.aor));  // the host's spelling may differ ("sip:", case)
    }
    if (it == cache.end()) {
      return;  // unsubscribed meanwhile
    }
    CacheEntry& e = it->second;
    if (e.known && p.sequence != 0 && p.sequence <= e.state.sequence) {
      count("stale_events");
      return;
    }
    const bool was_known = e.known;
    e.known = true;
    e.state.availability = p.availability;
    e.state.activity = p.activity != nullptr ? p.activity : "";
    e.state.note = p.note != nullptr ? p.note : "";
    e.state.im_capable = p.im_capable != 0;
    e.state.sequence = p.sequence;
    e.state.changed_at_ms = p.changed_at_ms;
    for (Session* s : pending) {
      if (std::find(s->users.begin(), s->users.end(), e.state.aor) != s->users.end() &&
          lookupComplete(*s)) {
        lws_callback_on_writable(s->wsi);
      }
    }
    push(e.state);
    if (was_known) {
      webhooks.onChange(e.state.aor, toJson(e.state).dump());
    }
  }

  // ---- listeners ---------------------------------------------------------------------------

  static std::string wsEvent(const PresenceState& p) {
    nlohmann::json j = toJson(p);
    j["type"] = "presence";
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }

  void push(const PresenceState& p) {
    auto it = listeners.find(p.aor);
    if (it == listeners.end() || it->second.empty()) {
      return;
    }
    Frame sse, ws;
    uint64_t pushed = 0;
    for (Session* s : it->second) {
      Frame& frame = s->kind == Session::Kind::kSse ? sse : ws;
      if (!frame) {
        frame = std::make_shared<const std::string>(s->kind == Session::Kind::kSse ? sseEvent(p)
                                                                                   : wsEvent(p));
      }
      enqueue(*s, frame);
      ++pushed;
    }
    count("events_pushed", pushed);
  }

  void enqueue(Session& s, const Frame& frame) {
    if (s.dropping) {
      return;
    }
    if (s.outbox_bytes + frame->size() > kMaxOutboxBytes) {
      s.dropping = true;  // too slow a reader: close rather than buffer without bound
      count("slow_listeners_dropped");
      lws_set_timeout(s.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
      return;
    }
    s.outbox.push_back(frame);
    s.outbox_bytes += frame->size();
    lws_callback_on_writable(s.wsi);
  }

  // Starts watching `aor` for a stream session; queues the snapshot when it is known.
  void watch(Session& s, const std::string& aor) {
    if (std::find(s.users.begin(), s.users.end(), aor) != s.users.end()) {
      return;
    }
    CacheEntry& e = cache[aor];
    e.pins += 1;
    s.users.push_back(aor);
    listeners[aor].push_back(&s);
    if (e.known) {
      enqueue(s, std::make_shared<const std::string>(
                     s.kind == Session::Kind::kSse ? sseEvent(e.state) : wsEvent(e.state)));
      count("events_pushed");
    }
  }

  void unwatch(Session& s, std::string aor) {
    auto pos = std::find(s.users.begin(), s.users.end(), aor);
    if (pos == s.users.end()) {
      return;
    }
    s.users.erase(pos);
    if (auto l = listeners.find(aor); l != listeners.end()) {
      std::erase(l->second, &s);
      if (l->second.empty()) {
        listeners.erase(l);
      }
    }
    if (auto c = cache.find(aor); c != cache.end()) {
      c->second.pins -= c->second.pins > 0 ? 1 : 0;
      c->second.last_used_ms = nowMs();
    }
  }

  void release(Pss* pss) {
    if (pss == nullptr || pss->session == nullptr) {
      return;
    }
    Session* s = pss->session;
    pss->session = nullptr;
    while (!s->users.empty() && (s->kind == Session::Kind::kSse || s->kind == Session::Kind::kWs)) {
      const std::string aor = s->users.back();  // a copy: unwatch erases the original
      unwatch(*s, aor);
    }
    if (streams.erase(s) != 0) {
      count("listeners_closed");
    }
    pending.erase(s);
    delete s;
  }

  size_t listenerCount() const { return streams.size(); }

  // ---- HTTP responses ----------------------------------------------------------------------

  int respond(lws* wsi, Session& s, unsigned status, std::string_view content_type,
              std::string_view body,
              const std::vector<std::pair<const char*, std::string>>& extra = {}) {
    std::string buf(LWS_PRE + 2048, '\0');
    auto* start = reinterpret_cast<unsigned char*>(buf.data() + LWS_PRE);
    unsigned char* p = start;
    unsigned char* end = reinterpret_cast<unsigned char*>(buf.data() + buf.size() - 1);
    const std::string type(content_type);
    if (lws_add_http_common_headers(wsi, status, type.c_str(), body.size(), &p, end) != 0 ||
        addCors(wsi, s, &p, end) != 0) {
      return -1;
    }
    for (const auto& [name, value] : extra) {
      if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name),
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), &p, end) != 0) {
        return -1;
      }
    }
    if (lws_finalize_write_http_header(wsi, start, &p, end) != 0) {
      return -1;
    }
    if (!body.empty()) {
      std::string out(LWS_PRE, '\0');
      out.append(body);
      if (lws_write(wsi, reinterpret_cast<unsigned char*>(out.data() + LWS_PRE), body.size(),
                    LWS_WRITE_HTTP_FINAL) < 0) {
        return -1;
      }
    }
    s.kind = Session::Kind::kIdle;
    return lws_http_transaction_completed(wsi) != 0 ? -1 : 0;
  }

  int respondJson(lws* wsi, Session& s, unsigned status, const nlohmann::json& body,
                  const std::vector<std::pair<const char*, std::string>>& extra = {}) {
    return respond(wsi, s, status, "application/json",
                   body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), extra);
  }

  int respondError(lws* wsi, Session& s, unsigned status, const std::string& message,
                   const std::vector<std::pair<const char*, std::string>>& extra = {}) {
    return respondJson(wsi, s, status, {{"error", message}}, extra);
  }

  static int addHeader(lws* wsi, const char* name, const std::string& value, unsigned char** p,
                       unsigned char* end) {
    return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name),
                                       reinterpret_cast<const unsigned char*>(value.data()),
                                       static_cast<int>(value.size()), p, end);
  }

  static int addCors(lws* wsi, const Session& s, unsigned char** p, unsigned char* end) {
    if (s.cors_origin.empty()) {
      return 0;
    }
    if (addHeader(wsi, "access-control-allow-origin:", s.cors_origin, p, end) != 0) {
      return -1;
    }
    return s.cors_origin == "*" ? 0 : addHeader(wsi, "vary:", "Origin", p, end);
  }

  // ---- requests ----------------------------------------------------------------------------

  // The bearer token of a request (header, or ?access_token= for EventSource and WebSocket).
  static std::string bearer(lws* wsi) {
    const std::string auth = header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (auth.size() > 7 && lower(auth.substr(0, 7)) == "bearer ") {
      return auth.substr(7);
    }
    return urlArg(wsi, "access_token=");
  }

  // Authenticates and rate-limits an API request: 0 = go ahead, else the status to answer.
  unsigned admit(lws* wsi, Session& s, uint32_t& retry_after) {
    const std::string token = bearer(wsi);
    s.token = config.findToken(token);
    if (s.token == nullptr) {
      count(token.empty() ? "unauthenticated" : "bad_token");
      return 401;
    }
    retry_after = limiter.admit(s.token->token, nowMs());
    if (retry_after != 0) {
      count("rate_limited");
      return 429;
    }
    return 0;
  }

  int onHttp(lws* wsi, Pss* pss, std::string_view uri) {
    if (pss->session == nullptr) {
      pss->session = new Session();
    }
    Session& s = *pss->session;
    s = Session();
    s.wsi = wsi;
    const std::string origin = header(wsi, WSI_TOKEN_ORIGIN);
    if (!origin.empty() && config.originAllowed(origin)) {
      s.cors_origin = std::find(config.cors_origins.begin(), config.cors_origins.end(), "*") !=
                              config.cors_origins.end()
                          ? "*"
                          : origin;
    }
    const bool get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
    const bool post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
    const bool put = lws_hdr_total_length(wsi, WSI_TOKEN_PUT_URI) > 0;
    const bool options = lws_hdr_total_length(wsi, WSI_TOKEN_OPTIONS_URI) > 0;
    if (options) {
      return preflight(wsi, s, origin);
    }
    if (get && (uri == "/" || uri == "/index.html")) {
      return respond(wsi, s, 200, "text/html; charset=utf-8", kConfabHttpPresenceIndexHtml);
    }
    if (!uri.starts_with(kApiPrefix)) {
      return respondError(wsi, s, 404, "not found");
    }
    count("requests");
    const std::string_view rest = uri.substr(kApiPrefix.size());
    uint32_t retry_after = 0;
    if (const unsigned refused = admit(wsi, s, retry_after); refused != 0) {
      if (refused == 429) {
        return respondError(wsi, s, 429, "rate limit exceeded",
                            {{"retry-after:", std::to_string(retry_after)}});
      }
      return respondError(wsi, s, refused, "missing or unknown bearer token",
                          {{"www-authenticate:", "Bearer realm=\"confab\""}});
    }
    if (put) {
      if (!s.token->can_write) {
        return respondError(wsi, s, 403, "token lacks scope presence:write");
      }
      s.path_user = normaliseAor(rest);
      s.is_put = true;
      s.kind = Session::Kind::kAwaitBody;
      return 0;
    }
    if (!s.token->can_read) {
      return respondError(wsi, s, 403, "token lacks scope presence:read");
    }
    if (post && rest == "batch") {
      s.batch = true;
      s.kind = Session::Kind::kAwaitBody;
      return 0;  // the body follows
    }
    if (!get) {
      return respondError(wsi, s, 405, "method not allowed");
    }
    if (rest == "stream") {
      return openSse(wsi, s);
    }
    const std::string aor = normaliseAor(rest);
    if (aor.empty()) {
      return respondError(wsi, s, 400, "not an AOR");
    }
    s.users = {aor};
    return lookup(wsi, s);
  }

  int preflight(lws* wsi, Session& s, const std::string& origin) {
    if (origin.empty() || s.cors_origin.empty()) {
      count("cors_refused");
      return respondError(wsi, s, 403, "origin not allowed");
    }
    return respond(wsi, s, 204, "text/plain", "",
                   {{"access-control-allow-methods:", "GET, POST, PUT, OPTIONS"},
                    {"access-control-allow-headers:", "Authorization, Content-Type"},
                    {"access-control-max-age:", "600"}});
  }

  int onBody(Session& s, const void* in, size_t len) {
    if (s.kind != Session::Kind::kAwaitBody) {
      return 0;
    }
    if (s.body.size() + len > kMaxBody) {
      s.body.clear();
      s.kind = Session::Kind::kIdle;  // answered with 413 at completion
      s.users = {"\x01toolarge"};
      return 0;
    }
    s.body.append(static_cast<const char*>(in), len);
    return 0;
  }

  int onBodyComplete(lws* wsi, Session& s) {
    if (s.users.size() == 1 && s.users[0] == "\x01toolarge") {
      s.users.clear();
      return respondError(wsi, s, 413, "body too large");
    }
    if (s.kind != Session::Kind::kAwaitBody) {
      return 0;
    }
    const nlohmann::json body = nlohmann::json::parse(s.body, nullptr, false);
    if (s.is_put) {
      return publish(wsi, s, body);
    }
    if (body.is_discarded() || !body.is_object() || !body.contains("users") ||
        !body["users"].is_array()) {
      return respondError(wsi, s, 400, "expected {\"users\": [...]}");
    }
    if (body["users"].size() > config.max_batch) {
      return respondError(wsi, s, 413, "at most " + std::to_string(config.max_batch) + " users");
    }
    s.users.clear();
    for (const auto& u : body["users"]) {
      s.users.push_back(u.is_string() ? normaliseAor(u.get<std::string>()) : std::string());
    }
    return lookup(wsi, s);
  }

  int publish(lws* wsi, Session& s, const nlohmann::json& body) {
    if (s.path_user.empty()) {
      return respondError(wsi, s, 400, "not an AOR");
    }
    if (!s.token->users.allows(s.path_user)) {
      return respondError(wsi, s, 403, "token may not publish for this user");
    }
    if (body.is_discarded() || !body.is_object()) {
      return respondError(wsi, s, 400, "expected a JSON object");
    }
    const uint32_t availability =
        availabilityFromName(body.value("availability", nlohmann::json()));
    if (availability == 0) {
      return respondError(wsi, s, 400, "unknown availability");
    }
    auto text = [&](const char* key) {
      return body.contains(key) && body[key].is_string() ? body[key].get<std::string>() : "";
    };
    const std::string activity = text("activity");
    const std::string note = text("statusMessage");
    confab_presence p{};
    p.size = sizeof p;
    p.aor = s.path_user.c_str();
    p.availability = availability;
    p.activity = activity.c_str();
    p.note = note.c_str();
    const auto& ttl =
        body.contains("expiresInSeconds") ? body["expiresInSeconds"] : nlohmann::json();
    const uint32_t expires =
        ttl.is_number_unsigned()
            ? static_cast<uint32_t>(std::min<uint64_t>(ttl.get<uint64_t>(), 86400))
            : 3600;
    const int rc = api->publish_presence(host, s.path_user.c_str(), &p, expires);
    if (rc == CONFAB_ERR_IDENTITY) {
      return respondError(wsi, s, 403, "not an identity of this plugin");
    }
    if (rc != CONFAB_OK) {
      return respondError(wsi, s, rc == CONFAB_ERR_INVALID ? 400 : 503, "publish refused");
    }
    return respondJson(wsi, s, 202, {{"id", s.path_user}, {"published", true}});
  }

  // Starts a GET or batch lookup: answers at once when every user is known, otherwise waits
  // (bounded by lookup_timeout_ms) for the host's first state of the new ones.
  int lookup(lws* wsi, Session& s) {
    s.status.assign(s.users.size(), 0);
    for (size_t i = 0; i < s.users.size(); ++i) {
      const std::string& aor = s.users[i];
      if (aor.empty()) {
        s.status[i] = 400;
      } else if (!s.token->users.allows(aor)) {
        s.status[i] = 403;
      } else {
        s.status[i] = ensureCached(aor);
      }
    }
    if (lookupComplete(s)) {
      return answerLookup(wsi, s);
    }
    s.kind = Session::Kind::kPending;
    s.deadline_ms = nowMs() + config.lookup_timeout_ms;
    pending.insert(&s);
    return 0;
  }

  bool lookupComplete(const Session& s) const {
    for (size_t i = 0; i < s.users.size(); ++i) {
      if (s.status[i] == 200) {
        auto it = cache.find(s.users[i]);
        if (it != cache.end() && !it->second.known) {
          return false;
        }
      }
    }
    return true;
  }

  nlohmann::json entry(const std::string& aor, int status, int& http_status) {
    if (status == 200) {
      auto it = cache.find(aor);
      if (it != cache.end() && it->second.known) {
        http_status = 200;
        return toJson(it->second.state);
      }
      status = 504;  // the host did not answer in time (or the entry was evicted)
    }
    http_status = status;
    static const std::unordered_map<int, const char*> kReasons = {
        {400, "not an AOR"},
        {403, "token may not see this user"},
        {404, "no such user"},
        {503, "too many users watched"},
        {504, "presence not available yet"}};
    auto reason = kReasons.find(status);
    return {{"id", aor}, {"error", reason != kReasons.end() ? reason->second : "error"}};
  }

  int answerLookup(lws* wsi, Session& s) {
    pending.erase(&s);
    if (!s.batch) {
      int status = 500;
      nlohmann::json body = entry(s.users[0], s.status[0], status);
      return respondJson(wsi, s, static_cast<unsigned>(status), body);
    }
    nlohmann::json out = nlohmann::json::array();
    for (size_t i = 0; i < s.users.size(); ++i) {
      int status = 500;
      nlohmann::json e = entry(s.users[i], s.status[i], status);
      e["status"] = status;
      out.push_back(std::move(e));
    }
    return respondJson(wsi, s, 200, out);
  }

  // ---- streams -----------------------------------------------------------------------------

  // Checks a stream's user list: "" when fine, else why not (for a 400/403 answer).
  unsigned checkStreamUsers(const Session& s, const std::vector<std::string>& users,
                            std::string& why) {
    if (users.empty() || users.size() > config.max_batch) {
      why = "between 1 and " + std::to_string(config.max_batch) + " users";
      return 400;
    }
    for (const std::string& u : users) {
      if (u.empty()) {
        why = "not an AOR";
        return 400;
      }
      if (!s.token->users.allows(u)) {
        why = "token may not see " + u;
        return 403;
      }
    }
    return 0;
  }

  int openSse(lws* wsi, Session& s) {
    std::vector<std::string> users;
    for (const std::string& u : splitComma(urlArg(wsi, "users="))) {
      users.push_back(normaliseAor(u));
    }
    std::string why;
    if (const unsigned refused = checkStreamUsers(s, users, why); refused != 0) {
      return respondError(wsi, s, refused, why);
    }
    if (listenerCount() >= config.max_listeners) {
      count("listeners_refused");
      return respondError(wsi, s, 503, "too many listeners", {{"retry-after:", "5"}});
    }
    std::string buf(LWS_PRE + 1024, '\0');
    auto* start = reinterpret_cast<unsigned char*>(buf.data() + LWS_PRE);
    unsigned char* p = start;
    unsigned char* end = reinterpret_cast<unsigned char*>(buf.data() + buf.size() - 1);
    if (lws_add_http_common_headers(wsi, 200, "text/event-stream", LWS_ILLEGAL_HTTP_CONTENT_LEN, &p,
                                    end) != 0 ||
        addHeader(wsi, "cache-control:", "no-cache", &p, end) != 0 ||
        addCors(wsi, s, &p, end) != 0 || lws_finalize_write_http_header(wsi, start, &p, end) != 0) {
      return -1;
    }
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);  // it lives until the client leaves
    s.kind = Session::Kind::kSse;
    streams.insert(&s);
    count("sse_listeners");
    enqueue(s, std::make_shared<const std::string>("retry: 2000\n: confab presence stream\n\n"));
    for (const std::string& u : users) {
      const int status = ensureCached(u);
      if (status == 200) {
        watch(s, u);
      } else {
        nlohmann::json e = {{"id", u}, {"status", status}};
        enqueue(s, std::make_shared<const std::string>("event: unavailable\ndata: " + e.dump() +
                                                       "\n\n"));
      }
    }
    return 0;
  }

  int writeStream(lws* wsi, Session& s) {
    if (s.outbox.empty()) {
      return 0;
    }
    if (s.kind == Session::Kind::kWs) {
      Frame f = s.outbox.front();
      s.outbox.pop_front();
      s.outbox_bytes -= f->size();
      std::string out(LWS_PRE, '\0');
      out.append(*f);
      if (lws_write(wsi, reinterpret_cast<unsigned char*>(out.data() + LWS_PRE), f->size(),
                    LWS_WRITE_TEXT) < static_cast<int>(f->size())) {
        return -1;
      }
    } else {
      // SSE is a byte stream: coalesce what is queued into one write.
      std::string out(LWS_PRE, '\0');
      while (!s.outbox.empty() && out.size() < LWS_PRE + 64 * 1024) {
        out.append(*s.outbox.front());
        s.outbox_bytes -= s.outbox.front()->size();
        s.outbox.pop_front();
      }
      const size_t n = out.size() - LWS_PRE;
      if (lws_write(wsi, reinterpret_cast<unsigned char*>(out.data() + LWS_PRE), n,
                    LWS_WRITE_HTTP) < static_cast<int>(n)) {
        return -1;
      }
    }
    if (!s.outbox.empty()) {
      lws_callback_on_writable(wsi);
    }
    return 0;
  }

  // WebSocket upgrade: path, token and capacity are checked before the handshake completes.
  int filterWs(lws* wsi) {
    const std::string uri = header(wsi, WSI_TOKEN_GET_URI);
    const std::string token = bearer(wsi);
    const TokenConfig* t = config.findToken(token);
    if (uri != std::string(kApiPrefix) + "ws" || t == nullptr || !t->can_read) {
      count(t == nullptr ? "unauthenticated" : "ws_refused");
      return 1;
    }
    count("requests");
    if (limiter.admit(t->token, nowMs()) != 0) {
      count("rate_limited");
      return 1;
    }
    if (listenerCount() >= config.max_listeners) {
      count("listeners_refused");
      return 1;
    }
    return 0;
  }

  int onWsEstablished(lws* wsi, Pss* pss) {
    release(pss);
    auto* s = new Session();
    pss->session = s;
    s->wsi = wsi;
    s->kind = Session::Kind::kWs;
    s->token = config.findToken(bearer(wsi));
    if (s->token == nullptr) {
      return -1;
    }
    streams.insert(s);
    count("ws_listeners");
    return 0;
  }

  void sendWs(Session& s, const nlohmann::json& j) {
    enqueue(s, std::make_shared<const std::string>(
                   j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  }

  int onWsReceive(lws* wsi, Session& s, const void* in, size_t len) {
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
    if (limiter.admit(s.token->token, nowMs()) != 0) {
      count("rate_limited");
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
        int status = aor.empty() ? 400 : !s.token->users.allows(aor) ? 403 : 0;
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

  // ---- housekeeping ------------------------------------------------------------------------

  void onTick() {
    const int64_t now = nowMs();
    std::vector<Session*> due;
    for (Session* s : pending) {
      if (now >= s->deadline_ms) {
        due.push_back(s);
      }
    }
    for (Session* s : due) {
      lws_callback_on_writable(s->wsi);
    }
    if (now >= next_heartbeat_ms) {
      next_heartbeat_ms = now + static_cast<int64_t>(config.heartbeat_s) * 1000;
      auto sse = std::make_shared<const std::string>(": heartbeat\n\n");
      auto ws = std::make_shared<const std::string>("{\"type\":\"heartbeat\"}");
      for (Session* s : streams) {
        if (s->outbox.empty()) {
          enqueue(*s, s->kind == Session::Kind::kSse ? sse : ws);
        }
      }
    }
    evictIdle(now);
    scheduleTick();
  }

  void scheduleTick() {
    lws_sul_schedule(
        context, 0, &tick.sul,
        [](lws_sorted_usec_list_t* sul) { reinterpret_cast<TickTimer*>(sul)->impl->onTick(); },
        kTickMs * LWS_US_PER_MS);
  }

  int dispatch(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
};

namespace {

int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* impl = static_cast<PresenceServer::Impl*>(lws_context_user(lws_get_context(wsi)));
  if (impl == nullptr) {
    return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
  try {
    return impl->dispatch(wsi, reason, user, in, len);
  } catch (const std::exception& e) {  // nothing may unwind through libwebsockets' C frames
    impl->count("internal_errors");
    impl->log(CONFAB_LOG_ERROR, std::string("http_presence: closing a connection: ") + e.what());
    return -1;
  }
}

}  // namespace

int PresenceServer::Impl::dispatch(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                                   size_t len) {
  switch (reason) {  // client connections are webhooks, whichever protocol lws reports
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
    case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
      return webhooks.callback(wsi, reason, user, in, len);
    default:
      break;
  }
  const lws_protocols* protocol = lws_get_protocol(wsi);
  if (protocol != nullptr && protocol->name != nullptr &&
      std::strcmp(protocol->name, WebhookSender::kProtocolName) == 0) {
    return 0;  // a webhook's other events: its user pointer is no Pss
  }
  auto* pss = static_cast<Pss*>(user);
  switch (reason) {
    case LWS_CALLBACK_HTTP:
      if (stopping || pss == nullptr) {
        return -1;
      }
      return onHttp(wsi, pss, std::string_view(static_cast<const char*>(in)));
    case LWS_CALLBACK_HTTP_BODY:
      return pss != nullptr && pss->session != nullptr ? onBody(*pss->session, in, len) : 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      if (pss == nullptr || pss->session == nullptr) {
        return -1;
      }
      return onBodyComplete(wsi, *pss->session);
    case LWS_CALLBACK_HTTP_WRITEABLE: {
      if (pss == nullptr || pss->session == nullptr) {
        return 0;
      }
      Session& s = *pss->session;
      if (s.kind == Session::Kind::kPending) {
        return lookupComplete(s) || nowMs() >= s.deadline_ms ? answerLookup(wsi, s) : 0;
      }
      return s.kind == Session::Kind::kSse ? writeStream(wsi, s) : 0;
    }
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
      return stopping ? 1 : filterWs(wsi);
    case LWS_CALLBACK_ESTABLISHED:
      return pss != nullptr ? onWsEstablished(wsi, pss) : -1;
    case LWS_CALLBACK_RECEIVE:
      return pss != nullptr && pss->session != nullptr ? onWsReceive(wsi, *pss->session, in, len)
                                                       : -1;
    case LWS_CALLBACK_SERVER_WRITEABLE:
      return pss != nullptr && pss->session != nullptr ? writeStream(wsi, *pss->session) : 0;
    case LWS_CALLBACK_CLOSED:
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
      release(pss);
      break;
    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

PresenceServer::PresenceServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PresenceServer::~PresenceServer() = default;

uint16_t PresenceServer::port() const { return impl_->port; }

void PresenceServer::onPresence(const confab_presence& presence) {
  if (!impl_->stopping) {
    impl_->onPresence(presence);
  }
}

proxy::Result<std::unique_ptr<PresenceServer>> PresenceServer::start(Config config,
                                                                     const confab_host_api* api,
                                                                     confab_host* host) {
  auto impl = std::make_unique<Impl>(std::move(config), api, host);
  lws_set_log_level(LLL_ERR, nullptr);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = impl->config.port;
  info.iface = impl->config.address.c_str();
  info.protocols = kProtocols;
  info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DISABLE_IPV6;
  void* loops[1] = {api->loop(host)};
  info.foreign_loops = loops;
  info.user = impl.get();
  info.pcontext = &impl->context;
  info.max_http_header_data = 8192;
  info.timeout_secs = 20;
  impl->context = lws_create_context(&info);
  if (impl->context == nullptr) {
    return proxy::makeError(
        500, "cannot listen on " + impl->config.address + ":" + std::to_string(impl->config.port));
  }
  lws_vhost* vhost = lws_get_vhost_by_name(impl->context, "default");
  const int port = vhost != nullptr ? lws_get_vhost_listen_port(vhost) : -1;
  if (port <= 0) {
    lws_context_destroy(impl->context);
    return proxy::makeError(500, "no listening port");
  }
  impl->port = static_cast<uint16_t>(port);
  impl->webhooks.attach(impl->context);
  // Webhook users named exactly are watched from the start, so their changes are seen.
  for (const WebhookConfig& hook : impl->config.webhooks) {
    for (const std::string& u : hook.users.exactUsers()) {
      const std::string aor = normaliseAor(u);
      if (!aor.empty() && impl->ensureCached(aor) == 200) {
        impl->cache[aor].pins += 1;
      } else {
        impl->log(CONFAB_LOG_WARN, "webhook user " + u + " is not a local user");
      }
    }
  }
  impl->scheduleTick();
  return std::unique_ptr<PresenceServer>(new PresenceServer(std::move(impl)));
}

void PresenceServer::shutdown(std::unique_ptr<PresenceServer> server) {
  Impl& impl = *server->impl_;
  impl.stopping = true;
  lws_sul_cancel(&impl.tick.sul);
  impl.webhooks.shutdown();
  lws_context_destroy(impl.context);  // closes every wsi now; lws's own handles close on the loop
  // With a foreign loop lws needs a second destroy once its handles are closed; poll for that,
  // then free the server from the timer's close callback (the last thing that touches it).
  uv_timer_init(static_cast<uv_loop_t*>(impl.api->loop(impl.host)), &impl.reaper);
  impl.reaper.data = server.release();
  uv_timer_start(
      &impl.reaper,
      [](uv_timer_t* timer) {
        auto* owner = static_cast<PresenceServer*>(timer->data);
        Impl& i = *owner->impl_;
        // lws's libuv glue lives in a plugin it unloads on the final destroy: call that only
        // when none of its handles still waits for a close callback.
        bool closing = false;
        uv_walk(
            timer->loop,
            [](uv_handle_t* h, void* any) {
              if (uv_is_closing(h) != 0) {
                *static_cast<bool*>(any) = true;
              }
            },
            &closing);
        if (i.context != nullptr && ++i.reap_attempts <= 400 && !closing) {
          lws_context_destroy(i.context);  // clears i.context (pcontext) once it is freed
        }
        if (i.context == nullptr || i.reap_attempts > 400) {
          if (i.context != nullptr) {
            i.log(CONFAB_LOG_ERROR, "libwebsockets did not shut down in 4 s; leaking it");
          }
          uv_close(reinterpret_cast<uv_handle_t*>(timer),
                   [](uv_handle_t* handle) { delete static_cast<PresenceServer*>(handle->data); });
        }
      },
      0, 10);
}

}  // namespace adapters::http_presence
