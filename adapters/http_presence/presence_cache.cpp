// SPDX-License-Identifier: Apache-2.0
// The bounded cache of users the API was asked about: each entry is subscribed at the host, and
// the host's presence updates land here and fan out to lookups, listeners and webhooks.
#include <algorithm>

#include "adapters/http_presence/http_response.h"
#include "adapters/http_presence/http_util.h"
#include "adapters/http_presence/server_impl.h"

namespace adapters::http_presence {

int PresenceServer::Impl::ensureCached(const std::string& aor) {
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
bool PresenceServer::Impl::evictOne() {
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

void PresenceServer::Impl::evictIdle(int64_t now) {
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

void PresenceServer::Impl::onPresence(const confab_presence& p) {
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
  if (was_known) {  // the first state is a snapshot, not a change
    webhooks.onChange(e.state.aor, dumpJson(toJson(e.state)));
  }
}

}  // namespace adapters::http_presence
