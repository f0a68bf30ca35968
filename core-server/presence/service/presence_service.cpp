// SPDX-License-Identifier: Apache-2.0
// Presentities, publications (RFC 3903), registration-derived state and the
// deadline queue. Subscriptions: presence_subscriptions.cpp; persistence:
// presence_persistence.cpp.
#include "core-server/presence/service/presence_service.h"

#include <strings.h>

#include <algorithm>

#include "core-server/presence/aggregation.h"
#include "core-server/presence/pidf.h"
#include "core-server/presence/pidf_mapping.h"
#include "proxy/base/random.h"

namespace core::presence {

namespace {

bool sameType(std::string_view a, std::string_view b) {
  // Content-Type may carry parameters ("; charset=UTF-8").
  if (size_t semi = a.find(';'); semi != std::string_view::npos) {
    a = a.substr(0, semi);
  }
  while (!a.empty() && (a.back() == ' ' || a.back() == '\t')) {
    a.remove_suffix(1);
  }
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

PublishResult publishError(int status, std::string reason) {
  PublishResult result;
  result.status = status;
  result.reason = std::move(reason);
  return result;
}

std::string_view mediaTypeOf(std::string_view content_type) {
  size_t semi = content_type.find(';');
  content_type = content_type.substr(0, semi);
  while (!content_type.empty() && (content_type.back() == ' ' || content_type.back() == '\t')) {
    content_type.remove_suffix(1);
  }
  return content_type;
}

}  // namespace

PresenceService::PresenceService(const proxy::Clock& clock, PresenceOptions options,
                                 NotifySink& sink, PresenceStateStore* store)
    : clock_(clock), options_(std::move(options)), sink_(sink), store_(store) {
  addPublicationFormat(
      "application/pidf+xml",
      [](std::string_view body, const XmlLimits& limits) -> proxy::Result<EndpointPresence> {
        auto doc = parsePidf(body, limits);
        if (!doc) {
          return doc.error();
        }
        return endpointFromPidf(*doc);
      });
}

void PresenceService::addPublicationFormat(std::string content_type, SourceParser parser) {
  parsers_.emplace_back(std::move(content_type), std::move(parser));
}

const SourceParser* PresenceService::parserFor(std::string_view content_type) const {
  for (const auto& [type, parser] : parsers_) {
    if (sameType(content_type, type)) {
      return &parser;
    }
  }
  return nullptr;
}

PresenceService::~PresenceService() {
  for (auto& [aor, p] : presentities_) {
    writePublications(*p);  // what the write interval held back (a clean shutdown loses nothing)
  }
}

PresenceService::Presentity& PresenceService::presentity(std::string_view aor) {
  auto it = presentities_.find(std::string(aor));
  if (it == presentities_.end()) {
    auto p = std::make_unique<Presentity>();
    p->aor = std::string(aor);
    if (registration_source_) {
      p->registrations = registration_source_(aor);
      p->ever_seen = !p->registrations.empty();
    }
    it = presentities_.emplace(p->aor, std::move(p)).first;
    if (it->second->ever_seen) {
      recompute(*it->second, /*notify_watchers=*/false);  // nobody watches it yet
    }
  }
  return *it->second;
}

PresenceService::Presentity* PresenceService::findPresentity(std::string_view aor) {
  auto it = presentities_.find(std::string(aor));
  return it == presentities_.end() ? nullptr : it->second.get();
}

const PresenceService::Presentity* PresenceService::findPresentity(std::string_view aor) const {
  auto it = presentities_.find(std::string(aor));
  return it == presentities_.end() ? nullptr : it->second.get();
}

const Presence* PresenceService::presence(std::string_view aor) const {
  const Presentity* p = findPresentity(aor);
  return p == nullptr || !p->ever_seen ? nullptr : &p->presence;
}

void PresenceService::setRegistrations(std::string_view aor,
                                       std::vector<RegisteredContact> contacts) {
  if (registration_source_ && !tracks(aor)) {
    return;  // nobody looks: the source answers when someone does
  }
  Presentity& p = presentity(aor);
  if (p.ever_seen && p.registrations == contacts) {
    return;  // a registration refresh: nothing a watcher could see changed
  }
  p.ever_seen = p.ever_seen || !contacts.empty();
  p.registrations = std::move(contacts);
  recompute(p);
}

// Folds publications (or, when there are none, the registrations) into the
// aggregated presence; a change bumps the sequence and notifies the watchers.
void PresenceService::recompute(Presentity& p, bool notify_watchers) {
  PresentityState state;
  state.user_state = p.user_level.user_state;
  state.personal_note = p.user_level.personal_note;
  state.oof_note = p.user_level.oof_note;
  state.ms_categories = p.user_level.ms_categories;
  state.ever_seen = p.ever_seen;
  for (const auto& [etag, pub] : p.publications) {
    state.endpoints.push_back(pub.endpoint);
  }
  if (p.publications.empty()) {
    // Registered but silent: online (3500 / open) per binding.
    for (size_t i = 0; i < p.registrations.size(); ++i) {
      const RegisteredContact& reg = p.registrations[i];
      EndpointPresence endpoint;
      endpoint.source_id = "reg:" + std::to_string(i);
      endpoint.availability = kAvailabilityOnline;
      endpoint.device.endpoint_id = reg.instance;
      endpoint.device.contact = reg.contact;
      state.endpoints.push_back(std::move(endpoint));
    }
  }
  Presence next = aggregate(state, clock_.unixSeconds());
  next.sequence = p.presence.sequence;
  if (next == p.presence) {
    return;
  }
  next.sequence = p.presence.sequence + 1;
  p.presence = std::move(next);
  p.bodies.clear();
  if (!notify_watchers) {
    return;
  }
  if (!p.local_watchers.empty()) {
    const Presence seen = watcherView(p.presence);
    for (const auto& [id, watcher] : p.local_watchers) {
      watcher(p.aor, seen);
    }
  }
  for (SubscriptionId id : std::vector<SubscriptionId>(p.watchers.begin(), p.watchers.end())) {
    if (Subscription* s = findSubscription(id)) {
      markDirty(*s);
    }
  }
}

uint32_t PresenceService::clampExpires(std::optional<uint32_t> asked, uint32_t min, uint32_t max,
                                       uint32_t fallback, bool& too_brief) const {
  uint32_t expires = asked.value_or(fallback);
  too_brief = expires != 0 && expires < min;
  return expires > max ? max : expires;
}

PublishResult PresenceService::publish(const PublishRequest& request) {
  PublishResult result;
  if (request.body.size() > options_.max_publication_bytes) {
    return publishError(413, "Publication Too Large");
  }
  bool too_brief = false;
  uint32_t expires =
      clampExpires(request.expires, options_.publish_min_expires, options_.publish_max_expires,
                   options_.publish_default_expires, too_brief);
  if (too_brief) {
    result.status = 423;
    result.reason = "Interval Too Brief";
    result.min_expires = options_.publish_min_expires;
    return result;
  }
  if (request.if_match.empty()) {
    if (request.body.empty()) {
      return publishError(400, "Initial PUBLISH Without Body");
    }
    if (expires == 0) {
      return publishError(400, "Expires 0 Without SIP-If-Match");
    }
    return addPublication(presentity(request.presentity), request, expires, nullptr);
  }
  Presentity* p = findPresentity(request.presentity);
  auto it =
      p == nullptr ? decltype(p->publications)::iterator{} : p->publications.find(request.if_match);
  if (p == nullptr || it == p->publications.end()) {
    return publishError(412, "Conditional Request Failed");
  }
  Publication& pub = it->second;
  if (expires == 0) {
    std::string etag = pub.etag;
    removePublication(*p, etag);
    syncPublications(*p);
    recompute(*p);
    result.etag = etag;
    return result;
  }
  if (request.body.empty()) {  // refresh: same state, new lifetime, same entity-tag
    pub.expires_ms = nowMs() + int64_t{expires} * 1000;
    pub.expires_at_unix = clock_.unixSeconds() + expires;
    armPublicationExpiry(*p, pub.expires_ms);
    pub.unsaved = true;
    syncPublications(*p);
    result.etag = pub.etag;
    result.expires = expires;
    return result;
  }
  std::string old = pub.etag;
  return addPublication(*p, request, expires, &old);  // modify: new state, new entity-tag
}

PublishResult PresenceService::addPublication(Presentity& p, const PublishRequest& request,
                                              uint32_t expires, const std::string* replaces) {
  const SourceParser* parser = parserFor(request.content_type);
  if (parser == nullptr) {
    PublishResult result = publishError(415, "Unsupported Media Type");
    for (const auto& [type, unused] : parsers_) {
      result.accept += (result.accept.empty() ? "" : ", ") + type;
    }
    return result;
  }
  auto endpoint = (*parser)(request.body, options_.xml);
  if (!endpoint) {
    const std::string& why = endpoint.error().detail;
    return publishError(400, why.empty() ? "Invalid Publication" : why);
  }
  if (replaces != nullptr) {
    removePublication(p, *replaces);
  }
  std::string etag = proxy::randomToken(16);
  storePublication(p, etag, std::string(mediaTypeOf(request.content_type)),
                   std::string(request.body), std::move(*endpoint), expires);
  PublishResult result;
  result.etag = std::move(etag);
  result.expires = expires;
  recompute(p);
  return result;
}

// Keeps one source (a PUBLISH entity-tag or another source id) with its expiry.
void PresenceService::storePublication(Presentity& p, std::string etag, std::string content_type,
                                       std::string body, EndpointPresence endpoint,
                                       uint32_t expires) {
  Publication pub;
  pub.etag = std::move(etag);
  pub.content_type = std::move(content_type);
  pub.body = std::move(body);
  pub.endpoint = std::move(endpoint);
  pub.endpoint.source_id = pub.etag;
  pub.endpoint.published_at = clock_.unixSeconds();
  pub.endpoint.expires_at = 0;  // we remove it ourselves, to the millisecond
  if (expires == 0) {
    pub.expires_ms = INT64_MAX;
    pub.expires_at_unix = 0;
  } else {
    pub.expires_ms = nowMs() + int64_t{expires} * 1000;
    pub.expires_at_unix = clock_.unixSeconds() + expires;
    armPublicationExpiry(p, pub.expires_ms);
  }
  p.ever_seen = true;
  etags_[pub.etag] = p.aor;
  pub.unsaved = !pub.body.empty();  // a source without a persistable form is never stored
  if (auto old = p.publications.find(pub.etag); old != p.publications.end()) {
    pub.stored = old->second.stored;  // setSource replacing a source: the same record
  }
  p.publications.insert_or_assign(pub.etag, std::move(pub));
  syncPublications(p);
}

void PresenceService::setSource(std::string_view aor, EndpointPresence endpoint, uint32_t expires_s,
                                std::string content_type, std::string body) {
  Presentity& p = presentity(aor);
  std::string id = endpoint.source_id;
  if (auto owner = etags_.find(id); owner != etags_.end() && owner->second != p.aor) {
    return;  // a source id of another presentity: never let one user overwrite another
  }
  storePublication(p, std::move(id), std::move(content_type), std::move(body), std::move(endpoint),
                   expires_s);
  recompute(p);
}

bool PresenceService::removeSource(std::string_view aor, std::string_view source_id) {
  Presentity* p = findPresentity(aor);
  if (p == nullptr || p->publications.count(std::string(source_id)) == 0) {
    return false;
  }
  removePublication(*p, std::string(source_id));
  syncPublications(*p);
  recompute(*p);
  return true;
}

void PresenceService::addLocalWatcher(std::string_view aor, uint64_t id, LocalWatcher callback) {
  Presentity& p = presentity(aor);
  callback(p.aor, watcherView(p.presence));
  p.local_watchers.insert_or_assign(id, std::move(callback));
}

bool PresenceService::removeLocalWatcher(std::string_view aor, uint64_t id) {
  Presentity* p = findPresentity(aor);
  return p != nullptr && p->local_watchers.erase(id) > 0;
}

void PresenceService::editUserLevel(std::string_view aor,
                                    const std::function<void(PresentityState&)>& edit) {
  Presentity& p = presentity(aor);
  edit(p.user_level);
  p.ever_seen = true;
  recompute(p);
}

// The record goes with the next syncPublications(p): a modify erases the old
// record and saves the new one in the same write.
void PresenceService::removePublication(Presentity& p, const std::string& etag) {
  auto it = p.publications.find(etag);
  if (it == p.publications.end()) {
    return;
  }
  if (it->second.stored) {
    p.stale_records.push_back(etag);
  }
  p.publications.erase(it);
  etags_.erase(etag);
}

std::shared_ptr<const std::string> PresenceService::body(Presentity& p, int format, ViewId view) {
  auto& slot = p.bodies[RenderKey{format, view}];
  if (!slot) {
    Presence shown = view == kViewOffline ? offlinePresence() : watcherView(p.presence);
    slot = std::make_shared<const std::string>(
        renderers_.at(format).render(shown, "sip:" + p.aor, view));
    ++stats_.renders;
  }
  return slot;
}

// ---- Deadlines ----

void PresenceService::armPublicationExpiry(Presentity& p, int64_t at) {
  if (p.expiry_armed_ms != 0 && p.expiry_armed_ms <= at) {
    return;  // that wake-up re-arms for the later expiries
  }
  p.expiry_armed_ms = at;
  arm(TimerItem{at, TimerKind::PublicationExpiry, 0, p.aor});
}

// Removes the publications that are due (refreshes and modifies only moved their
// expiry) and arms the next expiry of the others.
void PresenceService::expirePublications(Presentity& p, int64_t now) {
  p.expiry_armed_ms = 0;
  std::vector<std::string> due;
  int64_t next = INT64_MAX;  // publications without expiry keep INT64_MAX
  for (const auto& [etag, pub] : p.publications) {
    if (pub.expires_ms <= now) {
      due.push_back(etag);
    } else {
      next = std::min(next, pub.expires_ms);
    }
  }
  if (next != INT64_MAX) {
    armPublicationExpiry(p, next);
  }
  if (due.empty()) {
    return;
  }
  for (const std::string& etag : due) {
    ++stats_.publications_expired;
    removePublication(p, etag);
  }
  syncPublications(p);
  recompute(p);
}

void PresenceService::arm(TimerItem item) {
  bool earliest = timers_.empty() || item.at < timers_.top().at;
  int64_t at = item.at;
  timers_.push(std::move(item));
  if (earliest && wakeup_) {
    wakeup_(at);
  }
}

std::optional<int64_t> PresenceService::nextDeadlineMs() const {
  if (timers_.empty()) {
    return std::nullopt;
  }
  return timers_.top().at;
}

void PresenceService::runTimers() {
  const int64_t now = nowMs();
  while (!timers_.empty() && timers_.top().at <= now) {
    TimerItem item = timers_.top();
    timers_.pop();
    switch (item.kind) {
      case TimerKind::PublicationExpiry: {
        Presentity* p = findPresentity(item.etag);
        if (p != nullptr && p->expiry_armed_ms == item.at) {  // else superseded by an earlier one
          expirePublications(*p, now);
        }
        break;
      }
      case TimerKind::SubscriptionExpiry: {
        Subscription* s = findSubscription(item.id);
        if (s != nullptr && !s->terminating && s->expires_ms <= now) {
          ++stats_.subscriptions_expired;
          terminate(*s, "timeout");
        }
        break;
      }
      case TimerKind::PublicationWrite: {
        if (Presentity* p = findPresentity(item.etag)) {
          p->write_armed = false;
          writePublications(*p);
        }
        break;
      }
      case TimerKind::NotifyDue: {
        Subscription* s = findSubscription(item.id);
        if (s != nullptr && s->notify_due_ms == item.at) {
          s->notify_due_ms = 0;
          if ((s->dirty || s->owed) && !s->in_flight) {
            sendNotify(*s);
          }
        }
        break;
      }
    }
  }
  if (wakeup_ && !timers_.empty()) {
    wakeup_(timers_.top().at);
  }
}

}  // namespace core::presence
