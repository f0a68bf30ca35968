// SPDX-License-Identifier: Apache-2.0
// Listeners, whichever the transport (SSE or WebSocket): who watches which user, the bounded
// outbox of each, and writing it out when lws says the connection is writable.
#include <algorithm>

#include "adapters/http_presence/http_response.h"
#include "adapters/http_presence/server_impl.h"
#include "adapters/lws_common/lws_io.h"

namespace adapters::http_presence {
namespace {

constexpr size_t kMaxSseWrite = 64 * 1024;

// One presence event in the session's transport.
Frame eventFrame(Session::Kind kind, const PresenceState& p) {
  if (kind == Session::Kind::kSse) {
    return std::make_shared<const std::string>(sseEvent(p));
  }
  nlohmann::json j = toJson(p);
  j["type"] = "presence";
  return std::make_shared<const std::string>(dumpJson(j));
}

}  // namespace

void PresenceServer::Impl::push(const PresenceState& p) {
  auto it = listeners.find(p.aor);
  if (it == listeners.end() || it->second.empty()) {
    return;
  }
  Frame sse, ws;  // built once per transport, shared by every listener
  uint64_t pushed = 0;
  for (Session* s : it->second) {
    Frame& frame = s->kind == Session::Kind::kSse ? sse : ws;
    if (!frame) {
      frame = eventFrame(s->kind, p);
    }
    enqueue(*s, frame);
    ++pushed;
  }
  count("events_pushed", pushed);
}

void PresenceServer::Impl::enqueue(Session& s, const Frame& frame) {
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
void PresenceServer::Impl::watch(Session& s, const std::string& aor) {
  if (std::find(s.users.begin(), s.users.end(), aor) != s.users.end()) {
    return;
  }
  CacheEntry& e = cache[aor];
  e.pins += 1;
  s.users.push_back(aor);
  listeners[aor].push_back(&s);
  if (e.known) {
    enqueue(s, eventFrame(s.kind, e.state));
    count("events_pushed");
  }
}

void PresenceServer::Impl::unwatch(Session& s, std::string aor) {
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

// Forgets a connection's session (any kind), unpinning what it watched.
void PresenceServer::Impl::release(Pss* pss) {
  if (pss == nullptr || pss->session == nullptr) {
    return;
  }
  Session* s = pss->session;
  pss->session = nullptr;
  while (!s->users.empty() && s->isStream()) {
    const std::string aor = s->users.back();  // a copy: unwatch erases the original
    unwatch(*s, aor);
  }
  if (streams.erase(s) != 0) {
    count("listeners_closed");
  }
  pending.erase(s);
  delete s;
}

int PresenceServer::Impl::writeStream(lws* wsi, Session& s) {
  if (s.outbox.empty()) {
    return 0;
  }
  if (s.kind == Session::Kind::kWs) {
    Frame f = s.outbox.front();  // one message per frame
    s.outbox.pop_front();
    s.outbox_bytes -= f->size();
    if (lws_io::writeWithPre(wsi, *f, LWS_WRITE_TEXT) < static_cast<int>(f->size())) {
      return -1;
    }
  } else {
    // SSE is a byte stream: coalesce what is queued into one write.
    std::string out;
    while (!s.outbox.empty() && out.size() < kMaxSseWrite) {
      out.append(*s.outbox.front());
      s.outbox_bytes -= s.outbox.front()->size();
      s.outbox.pop_front();
    }
    if (lws_io::writeWithPre(wsi, out, LWS_WRITE_HTTP) < static_cast<int>(out.size())) {
      return -1;
    }
  }
  if (!s.outbox.empty()) {
    lws_callback_on_writable(wsi);
  }
  return 0;
}

// Keeps idle streams (and the proxies between) from timing out.
void PresenceServer::Impl::sendHeartbeats() {
  auto sse = std::make_shared<const std::string>(": heartbeat\n\n");
  auto ws = std::make_shared<const std::string>("{\"type\":\"heartbeat\"}");
  for (Session* s : streams) {
    if (s->outbox.empty()) {
      enqueue(*s, s->kind == Session::Kind::kSse ? sse : ws);
    }
  }
}

}  // namespace adapters::http_presence
