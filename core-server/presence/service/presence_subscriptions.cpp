// SPDX-License-Identifier: Apache-2.0
// Subscriptions (RFC 6665, RFC 3856), NOTIFY rate control and authorization.
#include <algorithm>

#include "core-server/presence/service/presence_service.h"
#include "proxy/base/random.h"

namespace core::presence {

namespace {

SubscribeResult subscribeError(int status, std::string reason) {
  SubscribeResult result;
  result.status = status;
  result.reason = std::move(reason);
  return result;
}

}  // namespace

std::string dialogKey(std::string_view call_id, std::string_view local_tag,
                      std::string_view remote_tag) {
  std::string key;
  key.reserve(call_id.size() + local_tag.size() + remote_tag.size() + 2);
  key.append(call_id).append(1, '\n').append(local_tag).append(1, '\n').append(remote_tag);
  return key;
}

Decision PresenceService::decide(std::string_view presentity, std::string_view watcher) const {
  if (presentity == watcher) {
    return Decision::Allow;  // one's own presence
  }
  if (const Presentity* p = findPresentity(presentity)) {
    if (auto decision = p->rules.lookup(watcher)) {
      return *decision;
    }
  }
  if (domainOf(watcher) == domainOf(presentity)) {
    return options_.local_default;
  }
  if (options_.federated_decision) {  // a federation peer's own default
    if (auto decision = options_.federated_decision(domainOf(watcher))) {
      return *decision;
    }
  }
  return options_.federated_default;
}

Subscription* PresenceService::findSubscription(SubscriptionId id) {
  auto it = subscriptions_.find(id);
  return it == subscriptions_.end() ? nullptr : it->second.get();
}

const Subscription* PresenceService::subscription(SubscriptionId id) const {
  auto it = subscriptions_.find(id);
  return it == subscriptions_.end() ? nullptr : it->second.get();
}

std::optional<SubscriptionId> PresenceService::findDialog(std::string_view call_id,
                                                          std::string_view local_tag,
                                                          std::string_view remote_tag) const {
  auto it = dialogs_.find(dialogKey(call_id, local_tag, remote_tag));
  if (it == dialogs_.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::vector<WatcherInfo> PresenceService::watchers(std::string_view presentity) const {
  std::vector<WatcherInfo> out;
  const Presentity* p = findPresentity(presentity);
  if (p == nullptr) {
    return out;
  }
  for (SubscriptionId id : p->watchers) {
    const Subscription* s = subscription(id);
    if (s != nullptr && !s->terminating) {
      out.push_back(WatcherInfo{id, s->watcher, s->decision, s->status(), s->expires_at_unix});
    }
  }
  return out;
}

SubscribeResult PresenceService::subscribe(SubscribeRequest&& request) {
  SubscribeResult result;
  const Decision decision = decide(request.presentity, request.watcher);
  if (decision == Decision::Reject) {
    return subscribeError(403, "Subscription Not Allowed");
  }
  bool too_brief = false;
  uint32_t expires =
      clampExpires(request.expires, options_.subscribe_min_expires, options_.subscribe_max_expires,
                   options_.subscribe_default_expires, too_brief);
  if (too_brief) {
    result.status = 423;
    result.reason = "Interval Too Brief";
    result.min_expires = options_.subscribe_min_expires;
    return result;
  }
  const bool fetch = expires == 0;
  Presentity& p = presentity(request.presentity);
  if (!fetch) {
    if (per_watcher_[request.watcher] >= options_.max_subscriptions_per_watcher) {
      return subscribeError(403, "Too Many Subscriptions");
    }
    if (p.watchers.size() >= options_.max_watchers_per_presentity) {
      return subscribeError(403, "Too Many Watchers");
    }
  }
  auto s = std::make_unique<Subscription>();
  s->id = next_id_++;
  s->presentity = std::move(request.presentity);
  s->watcher = std::move(request.watcher);
  s->event = std::move(request.event);
  s->event_id = std::move(request.event_id);
  s->format = request.format;
  s->benotify = request.benotify;
  s->dialog = std::move(request.dialog);
  if (s->dialog.local_tag.empty()) {
    s->dialog.local_tag = proxy::randomToken(12);
  }
  s->decision = decision;
  s->owed = true;
  const std::string key = dialogKey(s->dialog);
  if (dialogs_.count(key) != 0) {
    return subscribeError(482, "Dialog Already Exists");  // a replayed tag triple
  }
  result.status = decision == Decision::Confirm ? 202 : 200;
  result.reason = decision == Decision::Confirm ? "Accepted" : "OK";
  result.id = s->id;
  result.local_tag = s->dialog.local_tag;
  result.expires = expires;
  Subscription& sub = *s;
  dialogs_.emplace(key, sub.id);
  p.watchers.insert(sub.id);
  ++per_watcher_[sub.watcher];
  subscriptions_.emplace(sub.id, std::move(s));
  if (fetch) {
    // One NOTIFY with the state, then the subscription is gone (RFC 6665 §4.4.3).
    sub.terminating = true;
    sub.terminate_reason = "timeout";
    sub.expires_ms = nowMs();
    return result;
  }
  setSubscriptionExpiry(sub, expires);
  persistSubscription(sub);
  announceWatcher(sub, "subscribe", false);
  return result;
}

void PresenceService::setSubscriptionExpiry(Subscription& s, uint32_t seconds) {
  s.expires_ms = nowMs() + int64_t{seconds} * 1000;
  s.expires_at_unix = clock_.unixSeconds() + seconds;
  arm(TimerItem{s.expires_ms, TimerKind::SubscriptionExpiry, s.id, {}});
}

SubscribeResult PresenceService::refresh(SubscriptionId id, std::optional<uint32_t> expires,
                                         uint32_t remote_cseq, std::string remote_target,
                                         std::string flow_token) {
  Subscription* s = findSubscription(id);
  if (s == nullptr || s->terminating) {
    return subscribeError(481, "Subscription Does Not Exist");
  }
  bool too_brief = false;
  uint32_t seconds =
      clampExpires(expires, options_.subscribe_min_expires, options_.subscribe_max_expires,
                   options_.subscribe_default_expires, too_brief);
  if (too_brief) {
    SubscribeResult result = subscribeError(423, "Interval Too Brief");
    result.min_expires = options_.subscribe_min_expires;
    return result;
  }
  SubscribeResult result;
  result.status = s->decision == Decision::Confirm ? 202 : 200;
  result.reason = s->decision == Decision::Confirm ? "Accepted" : "OK";
  result.id = id;
  result.local_tag = s->dialog.local_tag;
  result.expires = seconds;
  s->dialog.remote_cseq = remote_cseq;
  if (!remote_target.empty()) {
    s->dialog.remote_target = std::move(remote_target);
  }
  if (!flow_token.empty()) {
    s->dialog.flow_token = std::move(flow_token);
  }
  s->owed = true;
  if (seconds == 0) {
    s->terminating = true;  // unsubscribe: the final NOTIFY follows the 200
    s->terminate_reason = "timeout";
    return result;
  }
  setSubscriptionExpiry(*s, seconds);
  persistSubscription(*s);
  return result;
}

void PresenceService::sendOwedNotify(SubscriptionId id) {
  if (Subscription* s = findSubscription(id); s != nullptr && s->owed) {
    sendNotify(*s);
  }
}

std::optional<PresenceService::OwedNotify> PresenceService::takeOwedNotify(SubscriptionId id) {
  Subscription* s = findSubscription(id);
  if (s == nullptr || !s->owed || s->terminating) {
    return std::nullopt;
  }
  Presentity& p = presentity(s->presentity);
  const int64_t now = nowMs();
  OwedNotify out;
  const bool shows_state = s->decision == Decision::Allow || s->decision == Decision::Block;
  const int64_t left_ms = std::max<int64_t>(0, s->expires_ms - now);
  out.subscription_state = std::string(shows_state ? "active" : "pending") +
                           ";expires=" + std::to_string((left_ms + 999) / 1000);
  if (shows_state) {
    const ViewId view = viewFor(*s);
    out.body = body(p, s->format, view);
    out.content_type = renderers_.at(s->format).contentType();
    s->sent_view = view;
  }
  out.cseq = ++s->dialog.local_cseq;
  s->sent_sequence = p.presence.sequence;
  s->owed = false;
  s->dirty = false;
  s->notify_due_ms = 0;
  s->last_notify_ms = now;
  if (s->dialog.local_cseq >= s->cseq_reserved) {
    persistSubscription(*s);
  }
  return out;
}

// The presentity's state changed: only watchers allowed to see it hear of it
// (a blocked watcher must not even learn *when* something changed).
void PresenceService::markDirty(Subscription& s) {
  if (s.terminating || s.decision != Decision::Allow) {
    return;
  }
  if (s.dirty || s.in_flight || s.notify_due_ms != 0) {
    ++stats_.coalesced;
  }
  s.dirty = true;
  schedule(s);
}

// Sends now if the rate allows, else arms one NOTIFY for the end of the interval.
void PresenceService::schedule(Subscription& s) {
  if (s.in_flight) {
    return;  // onNotifyResult() comes back here
  }
  const int64_t now = nowMs();
  const int64_t due = s.last_notify_ms < 0
                          ? now
                          : std::max(now, s.last_notify_ms + options_.min_notify_interval_ms);
  if (due <= now) {
    sendNotify(s);
    return;
  }
  if (s.notify_due_ms == 0) {
    s.notify_due_ms = due;
    arm(TimerItem{due, TimerKind::NotifyDue, s.id, {}});
  }
}

void PresenceService::terminate(Subscription& s, std::string reason) {
  s.terminating = true;
  s.terminate_reason = std::move(reason);
  sendNotify(s);
}

void PresenceService::sendNotify(Subscription& s) {
  Presentity& p = presentity(s.presentity);
  const int64_t now = nowMs();
  if (!s.owed && !s.terminating && s.sent_sequence == p.presence.sequence) {
    s.dirty = false;  // coalesced back to what the watcher already has
    return;
  }
  NotifyMessage message;
  message.id = s.id;
  message.event = s.event;
  message.event_id = s.event_id;
  const bool shows_state = s.decision == Decision::Allow || s.decision == Decision::Block;
  if (s.terminating) {
    message.subscription_state = "terminated;reason=" + s.terminate_reason;
  } else {
    int64_t left_ms = std::max<int64_t>(0, s.expires_ms - now);
    message.subscription_state = std::string(shows_state ? "active" : "pending") +
                                 ";expires=" + std::to_string((left_ms + 999) / 1000);
  }
  if (shows_state && s.terminate_reason != "rejected") {
    const ViewId view = viewFor(s);
    message.body = body(p, s.format, view);
    message.content_type = renderers_.at(s.format).contentType();
    s.sent_view = view;
  }
  ++s.dialog.local_cseq;
  message.dialog = &s.dialog;
  message.benotify = s.benotify && s.last_notify_ms >= 0 && !s.terminating;
  s.sent_sequence = p.presence.sequence;
  s.owed = false;
  s.dirty = false;
  s.notify_due_ms = 0;
  s.last_notify_ms = now;
  s.in_flight = !s.terminating && !message.benotify;
  if (!s.terminating && s.dialog.local_cseq >= s.cseq_reserved) {
    persistSubscription(s);
  }
  ++stats_.notifies;
  sink_.sendNotify(message);
  if (s.terminating) {
    removeSubscription(s.id);
  }
}

void PresenceService::onNotifyResult(SubscriptionId id, uint32_t cseq, int status) {
  Subscription* s = findSubscription(id);
  if (s == nullptr || cseq != s->dialog.local_cseq) {
    return;  // gone, or an answer to an older NOTIFY
  }
  s->in_flight = false;
  if (status == 481 || status == 408 || status == 480 || status == 503) {
    // The watcher is gone (RFC 6665 §4.2.2) or unreachable (480: no route): no final NOTIFY.
    ++stats_.dropped_by_notify;
    removeSubscription(id);
    return;
  }
  if (s->dirty || s->owed) {
    schedule(*s);
  }
}

void PresenceService::removeSubscription(SubscriptionId id) {
  auto it = subscriptions_.find(id);
  if (it == subscriptions_.end()) {
    return;
  }
  Subscription& s = *it->second;
  const std::string key = dialogKey(s.dialog);
  dialogs_.erase(key);
  if (Presentity* p = findPresentity(s.presentity)) {
    p->watchers.erase(id);
  }
  if (auto w = per_watcher_.find(s.watcher); w != per_watcher_.end() && --w->second == 0) {
    per_watcher_.erase(w);
  }
  if (store_ != nullptr && s.expires_at_unix != 0) {
    store_->erase(RecordKind::Subscription, key);
  }
  std::unique_ptr<Subscription> gone = std::move(it->second);
  subscriptions_.erase(it);
  if (gone->expires_at_unix != 0) {  // fetches were never announced
    // RFC 3857 §3.2.4: a NOTIFY that failed means the watcher went away (giveup).
    const std::string& reason = gone->terminate_reason;
    announceWatcher(*gone, reason.empty() ? std::string_view("giveup") : std::string_view(reason),
                    true);
  }
}

void PresenceService::announceWatcher(const Subscription& s, std::string_view event,
                                      bool terminated) {
  if (watcher_listener_) {
    const WatcherInfo info{s.id, s.watcher, s.decision, s.status(), s.expires_at_unix};
    watcher_listener_(WatcherChange{s.presentity, info, event, terminated});
  }
}

// ---- Rules ----

void PresenceService::setRule(std::string_view presentity_aor, const WatcherRule& rule,
                              bool persist) {
  Presentity& p = presentity(presentity_aor);
  p.rules.set(rule);
  if (persist) {
    persistRule(p.aor, rule);
  }
  reevaluate(p);
}

bool PresenceService::removeRule(std::string_view presentity_aor, bool domain,
                                 std::string_view match) {
  Presentity* p = findPresentity(presentity_aor);
  if (p == nullptr || !p->rules.remove(domain, match)) {
    return false;
  }
  if (store_ != nullptr) {
    store_->erase(RecordKind::Rule,
                  p->aor + (domain ? " domain " : " watcher ") + std::string(match));
  }
  reevaluate(*p);
  return true;
}

std::vector<WatcherRule> PresenceService::rules(std::string_view presentity_aor) const {
  const Presentity* p = findPresentity(presentity_aor);
  return p == nullptr ? std::vector<WatcherRule>{} : p->rules.list();
}

// A rule changed: every watcher whose decision changed hears of it now (subject
// to the NOTIFY rate); a watcher now denied gets terminated;reason=rejected.
void PresenceService::reevaluate(Presentity& p) {
  for (SubscriptionId id : std::vector<SubscriptionId>(p.watchers.begin(), p.watchers.end())) {
    Subscription* s = findSubscription(id);
    if (s == nullptr || s->terminating) {
      continue;
    }
    Decision decision = decide(p.aor, s->watcher);
    if (decision == s->decision) {
      continue;
    }
    const bool was_pending = s->decision == Decision::Confirm;
    s->decision = decision;
    if (decision == Decision::Reject) {
      terminate(*s, "rejected");
      continue;
    }
    announceWatcher(*s, was_pending ? "approved" : "subscribe", false);
    s->owed = true;
    schedule(*s);
  }
}

ViewId PresenceService::viewFor(const Subscription& s) const {
  if (s.decision == Decision::Block) {
    return kViewOffline;
  }
  return view_resolver_ ? view_resolver_(s.presentity, s.watcher, s.format) : kViewFull;
}

void PresenceService::viewsChanged(std::string_view presentity_aor) {
  Presentity* p = findPresentity(presentity_aor);
  if (p == nullptr) {
    return;
  }
  for (SubscriptionId id : std::vector<SubscriptionId>(p->watchers.begin(), p->watchers.end())) {
    Subscription* s = findSubscription(id);
    if (s == nullptr || s->terminating || s->decision != Decision::Allow || s->last_notify_ms < 0 ||
        viewFor(*s) == s->sent_view) {
      continue;
    }
    s->owed = true;
    schedule(*s);
  }
}

}  // namespace core::presence
