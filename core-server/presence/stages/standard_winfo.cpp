// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/stages/standard_winfo.h"

#include <algorithm>
#include <array>
#include <utility>

#include "core-server/presence/service/dialog_json.h"
#include "proxy/base/counters.h"

namespace core::presence {

using roaming::WatcherStatus;

roaming::WatcherEvent winfoEventOf(std::string_view name) {
  using E = roaming::WatcherEvent;
  static constexpr std::array<E, 8> kAll = {E::Subscribe, E::Approved,  E::Deactivated,
                                            E::Probation, E::Rejected,  E::Timeout,
                                            E::Giveup,    E::Noresource};
  for (E event : kAll) {
    if (roaming::watcherEventName(event) == name) {
      return event;
    }
  }
  return E::Giveup;
}

StandardWinfo::StandardWinfo(PresenceService& service, NotifySink& sink, const proxy::Clock& clock)
    : service_(service), sink_(sink), clock_(clock) {}

SubscribeResult StandardWinfo::subscribe(std::string presentity, std::string event_id,
                                         DialogState dialog, std::optional<uint32_t> expires) {
  auto seconds = grantExpires(service_.options(), expires);  // the PresenceService's bounds
  if (!seconds) {
    return intervalTooBrief(service_.options());
  }
  const size_t held =
      static_cast<size_t>(std::count_if(dialogs_.begin(), dialogs_.end(), [&](const auto& d) {
        return d.second.presentity == presentity;
      }));
  if (*seconds != 0 && held >= kMaxPerPresentity) {
    return subscribeRefusal(403, "Too Many Subscriptions");
  }
  if (!index_.add(dialog, next_id_)) {
    return subscribeRefusal(482, "Dialog Already Exists");
  }
  Dialog d;
  d.id = next_id_++;
  d.presentity = std::move(presentity);
  d.event_id = std::move(event_id);
  d.dialog = std::move(dialog);
  d.start(*seconds, clock_.monotonicMs(), clock_.unixSeconds());  // expires 0 is a fetch
  SubscribeResult result = subscribeAccepted(d.id, d.dialog.local_tag, *seconds);
  persist(dialogs_.emplace(d.id, std::move(d)).first->second);
  static auto count = proxy::counters::get("presence.winfo.subscriptions");
  count.add();
  return result;
}

std::optional<SubscriptionId> StandardWinfo::findDialog(std::string_view call_id,
                                                        std::string_view local_tag,
                                                        std::string_view remote_tag) const {
  return index_.find(call_id, local_tag, remote_tag);
}

SubscribeResult StandardWinfo::refresh(SubscriptionId id, std::optional<uint32_t> expires,
                                       uint32_t remote_cseq, std::string remote_target,
                                       std::string flow_token) {
  auto it = dialogs_.find(id);
  SubscribeResult result = refreshHeld(
      it == dialogs_.end() ? nullptr : &it->second, service_.options(), expires, remote_cseq,
      std::move(remote_target), std::move(flow_token), clock_.monotonicMs(), clock_.unixSeconds());
  if (result.status < 300) {
    it->second.restored = false;  // the refresh's own full state replaces the restart's
    persist(it->second);          // an unsubscribe is erased with its final NOTIFY
  }
  return result;
}

void StandardWinfo::persist(Dialog& d) {
  if (d.terminating) {
    return;
  }
  nlohmann::json value = heldToJson(d);
  saveHeld(service_.stateStore(), RecordKind::Winfo, d.presentity, d, value);
}

void StandardWinfo::load(const std::vector<PresenceRecord>& records,
                         const std::function<bool(std::string_view aor)>& owns) {
  const int64_t now_unix = clock_.unixSeconds();
  for (const PresenceRecord& record : records) {
    if (record.kind != RecordKind::Winfo || !owns(record.aor)) {
      continue;
    }
    Dialog d;
    const nlohmann::json j = nlohmann::json::parse(record.value, nullptr, false);
    if (!heldFromJson(j, record.expires_at, clock_.monotonicMs(), now_unix, d) ||
        index_.contains(d.dialog)) {
      if (PresenceStateStore* store = service_.stateStore()) {
        store->erase(RecordKind::Winfo, record.key);  // expired or unreadable: gone for good
      }
      continue;
    }
    d.id = next_id_++;
    d.presentity = record.aor;
    d.version = roaming::WatcherInfoVersion(d.dialog.local_cseq);  // never above the CSeq
    d.owed = true;
    d.restored = true;
    index_.add(d.dialog, d.id);
    dialogs_.emplace(d.id, std::move(d));
  }
}

std::optional<int64_t> StandardWinfo::nextDeadlineMs() const {
  std::optional<int64_t> next;
  for (const auto& [id, d] : dialogs_) {
    if (!next || d.expires_ms < *next) {
      next = d.expires_ms;
    }
  }
  return next;
}

void StandardWinfo::sendOwedNotify(SubscriptionId id) {
  auto it = dialogs_.find(id);
  if (it == dialogs_.end() || !it->second.owed) {
    return;
  }
  Dialog& d = it->second;
  d.owed = false;
  send(d, fullDocument(d));
}

roaming::Watcher StandardWinfo::watcherOf(const WatcherInfo& info,
                                          roaming::WatcherEvent event) const {
  roaming::Watcher w;
  w.id = "w" + std::to_string(info.id);
  w.uri = "sip:" + info.watcher;
  w.status =
      info.status == SubscriptionStatus::Pending ? WatcherStatus::Pending : WatcherStatus::Active;
  w.event = event;
  const int64_t left = info.expires_at_unix - clock_.unixSeconds();
  w.expiration = left > 0 ? static_cast<uint32_t>(left) : 0;
  return w;
}

std::string StandardWinfo::fullDocument(Dialog& d) {
  roaming::WatcherInfo info;
  info.version = d.version.next();
  info.full_state = true;
  roaming::WatcherList& list = info.lists.emplace_back();
  list.resource = "sip:" + d.presentity;
  for (const WatcherInfo& w : service_.watchers(d.presentity)) {
    auto last = last_event_.find(w.id);
    list.watchers.push_back(
        watcherOf(w, last == last_event_.end() ? roaming::WatcherEvent::Subscribe : last->second));
  }
  return roaming::renderWatcherInfo(info);
}

void StandardWinfo::onWatcherChange(const WatcherChange& change) {
  const roaming::WatcherEvent event = winfoEventOf(change.event);
  if (change.terminated) {
    last_event_.erase(change.watcher.id);
  } else {
    last_event_[change.watcher.id] = event;
  }
  roaming::Watcher watcher = watcherOf(change.watcher, event);
  if (change.terminated) {
    watcher.status = WatcherStatus::Terminated;
    watcher.expiration = 0;
  }
  for (auto& [id, d] : dialogs_) {
    if (d.presentity != change.presentity || d.terminating) {
      continue;
    }
    if (d.owed) {
      continue;  // its full-state NOTIFY, still to come, includes this change
    }
    roaming::WatcherInfo info;
    info.version = d.version.next();
    info.full_state = false;
    roaming::WatcherList& list = info.lists.emplace_back();
    list.resource = "sip:" + d.presentity;
    list.watchers.push_back(watcher);
    send(d, roaming::renderWatcherInfo(info));
  }
}

void StandardWinfo::expire() {
  for (auto& [id, d] : dialogs_) {
    if (d.restored && d.owed && d.expires_ms > clock_.monotonicMs()) {
      d.restored = false;
      d.owed = false;
      send(d, fullDocument(d));
    }
  }
  for (SubscriptionId id : expiredIds(dialogs_, clock_.monotonicMs())) {
    Dialog& d = dialogs_.at(id);
    d.terminating = true;
    d.owed = false;
    roaming::WatcherInfo info;  // RFC 6665 §4.2.2: the final NOTIFY; keep the versions going
    info.version = d.version.next();
    info.full_state = false;
    info.lists.emplace_back().resource = "sip:" + d.presentity;
    send(d, roaming::renderWatcherInfo(info));
  }
}

void StandardWinfo::send(Dialog& d, std::string body) {
  NotifyMessage m = d.nextNotify(kEvent, clock_.monotonicMs());
  m.content_type = kContentType;
  m.body = std::make_shared<const std::string>(std::move(body));
  static auto sent = proxy::counters::get("presence.winfo.notifies");
  sent.add();
  sink_.sendNotify(m);
  if (d.terminating) {
    remove(d.id);
  } else if (d.cseqBoundReached()) {
    persist(d);
  }
}

void StandardWinfo::remove(SubscriptionId id) {
  auto it = dialogs_.find(id);
  if (it == dialogs_.end()) {
    return;
  }
  index_.erase(it->second.dialog);
  eraseHeld(service_.stateStore(), RecordKind::Winfo, it->second);
  dialogs_.erase(it);
}

}  // namespace core::presence
