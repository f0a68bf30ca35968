// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/stages/standard_eventlist.h"

#include <algorithm>
#include <utility>

#include "core-server/presence/roaming/multipart.h"
#include "core-server/presence/service/dialog_json.h"
#include "core-server/presence/service/renderer.h"
#include "proxy/base/counters.h"
#include "proxy/base/log.h"
#include "proxy/base/random.h"

namespace core::presence {

using roaming::InstanceState;

namespace {

constexpr std::string_view kPidf = "application/pidf+xml";

// "bob@example.test" of "sip:bob@example.test" (the list's resource URIs).
std::string aorOf(std::string_view uri) {
  if (uri.starts_with("sip:")) {
    uri.remove_prefix(4);
  }
  return std::string(uri);
}

}  // namespace

StandardEventList::StandardEventList(PresenceService& service, NotifySink& sink,
                                     const proxy::Clock& clock, MemberShards& shards,
                                     std::string cid_domain)
    : service_(service),
      sink_(sink),
      clock_(clock),
      shards_(shards),
      cid_domain_(std::move(cid_domain)) {}

StandardEventList::~StandardEventList() {
  for (auto& [id, list] : lists_by_id_) {
    stopMembers(list);
  }
}

SubscribeResult StandardEventList::subscribe(std::string subscriber, std::string list_uri,
                                             std::string event_id, DialogState dialog,
                                             std::optional<uint32_t> expires) {
  if (!lists_ || lists_(subscriber) == nullptr) {
    return subscribeRefusal(404, "No Such List");
  }
  auto seconds = grantExpires(service_.options(), expires);
  if (!seconds) {
    return intervalTooBrief(service_.options());
  }
  if (!index_.add(dialog, next_id_)) {
    return subscribeRefusal(482, "Dialog Already Exists");
  }
  const SubscriptionId id = next_id_++;
  List& list = lists_by_id_[id];
  list.id = id;
  list.subscriber = std::move(subscriber);
  list.list_uri = std::move(list_uri);
  list.event_id = std::move(event_id);
  list.dialog = std::move(dialog);
  list.start(*seconds, clock_.monotonicMs(), clock_.unixSeconds());
  persist(list);
  SubscribeResult result = subscribeAccepted(id, list.dialog.local_tag, *seconds);
  static auto count = proxy::counters::get("presence.eventlist.subscriptions");
  count.add();
  startMembers(list);  // members on this shard report at once, before the first NOTIFY
  return result;
}

void StandardEventList::startMembers(List& list) {
  const roaming::ContactList* contacts = lists_ ? lists_(list.subscriber) : nullptr;
  std::vector<roaming::ResourceState> resources = contacts == nullptr
                                                      ? std::vector<roaming::ResourceState>{}
                                                      : roaming::listResources(*contacts);
  list.members.clear();
  for (roaming::ResourceState& resource : resources) {
    Member& m = list.members.emplace_back();
    // Ids unique across shards: one member may be on several lists of several shards.
    m.watch = (uint64_t{shards_.here()} << 48) | next_watch_++;
    m.shard = shards_.ownerOf(aorOf(resource.uri));
    m.state = std::move(resource);  // pending, no body, until the member's shard answers
  }
  const unsigned home = shards_.here();
  const SubscriptionId id = list.id;
  const std::string subscriber = list.subscriber;
  // Copies: a member on this shard reports at once, which may touch list.members.
  std::vector<std::pair<unsigned, std::pair<uint64_t, std::string>>> starts;
  for (const Member& m : list.members) {
    starts.push_back({m.shard, {m.watch, aorOf(m.state.uri)}});
  }
  for (auto& [shard, watch_member] : starts) {
    shards_.run(shard, [home, id, watch = watch_member.first, member = watch_member.second,
                        subscriber](PresenceService& service, StandardEventList* there) {
      if (there != nullptr) {
        watchMember(service, there->shards_, home, id, watch, member, subscriber);
      }
    });
  }
}

void StandardEventList::stopMembers(List& list) {
  for (const Member& m : list.members) {
    shards_.run(m.shard, [watch = m.watch, member = aorOf(m.state.uri)](PresenceService& service,
                                                                        StandardEventList*) {
      service.removeLocalWatcher(member, watch);
    });
  }
  list.members.clear();
}

void StandardEventList::watchMember(PresenceService& service, MemberShards& shards, unsigned home,
                                    SubscriptionId list, uint64_t watch, std::string member,
                                    std::string subscriber) {
  PresenceService* owner = &service;
  MemberShards* here = &shards;
  service.addLocalWatcher(
      member, watch,
      [owner, here, home, list, watch, subscriber](std::string_view aor, const Presence& presence) {
        // The member's own rules decide, as for a SUBSCRIBE of the subscriber to it.
        const Decision decision = owner->decide(aor, subscriber);
        Presence shown = decision == Decision::Allow   ? presence
                         : decision == Decision::Block ? offlinePresence()
                                                       : Presence{};
        here->run(home, [list, watch, decision, shown = std::move(shown)](
                            PresenceService&, StandardEventList* lists) mutable {
          if (lists != nullptr) {
            lists->memberChanged(list, watch, decision, std::move(shown));
          }
        });
      });
}

void StandardEventList::memberChanged(SubscriptionId id, uint64_t watch, Decision decision,
                                      Presence presence) {
  auto it = lists_by_id_.find(id);
  if (it == lists_by_id_.end()) {
    return;  // ended meanwhile
  }
  List& list = it->second;
  auto m = std::find_if(list.members.begin(), list.members.end(),
                        [watch](const Member& member) { return member.watch == watch; });
  if (m == list.members.end()) {
    return;
  }
  roaming::ResourceState next = m->state;
  next.reason.clear();
  next.body.clear();
  next.content_type.clear();
  switch (decision) {
    case Decision::Allow:
    case Decision::Block:  // polite blocking: active, and only ever offline
      next.state = InstanceState::Active;
      next.content_type = std::string(kPidf);
      next.body = PidfRenderer().render(presence, next.uri,
                                        decision == Decision::Block ? kViewOffline : kViewFull);
      break;
    case Decision::Confirm:
      next.state = InstanceState::Pending;
      break;
    case Decision::Reject:
      next.state = InstanceState::Terminated;
      next.reason = "rejected";
      break;
  }
  if (next.state == m->state.state && next.body == m->state.body &&
      next.reason == m->state.reason) {
    return;  // nothing the subscriber could tell apart
  }
  m->state = std::move(next);
  if (!list.owed && !list.terminating) {
    send(list, {m->state}, /*full=*/false);
  }
}

std::optional<SubscriptionId> StandardEventList::findDialog(std::string_view call_id,
                                                            std::string_view local_tag,
                                                            std::string_view remote_tag) const {
  return index_.find(call_id, local_tag, remote_tag);
}

const DialogState* StandardEventList::dialog(SubscriptionId id) const {
  auto it = lists_by_id_.find(id);
  return it == lists_by_id_.end() ? nullptr : &it->second.dialog;
}

SubscribeResult StandardEventList::refresh(SubscriptionId id, std::optional<uint32_t> expires,
                                           uint32_t remote_cseq, std::string remote_target,
                                           std::string flow_token) {
  auto it = lists_by_id_.find(id);
  // Full state again (RFC 4662 §5.2).
  SubscribeResult result = refreshHeld(
      it == lists_by_id_.end() ? nullptr : &it->second, service_.options(), expires, remote_cseq,
      std::move(remote_target), std::move(flow_token), clock_.monotonicMs(), clock_.unixSeconds());
  if (result.status < 300 && !it->second.terminating) {
    it->second.restored = false;
    persist(it->second);
    stopMembers(it->second);  // the contact list may have changed: read it again
    startMembers(it->second);
  }
  return result;
}

void StandardEventList::persist(List& list) {
  if (list.terminating) {
    return;
  }
  nlohmann::json value = heldToJson(list);
  value["list_uri"] = list.list_uri;
  saveHeld(service_.stateStore(), RecordKind::EventList, list.subscriber, list, value);
}

void StandardEventList::load(const std::vector<PresenceRecord>& records,
                             const std::function<bool(std::string_view aor)>& owns) {
  for (const PresenceRecord& record : records) {
    if (record.kind != RecordKind::EventList || !owns(record.aor)) {
      continue;
    }
    List list;
    const nlohmann::json j = nlohmann::json::parse(record.value, nullptr, false);
    if (!heldFromJson(j, record.expires_at, clock_.monotonicMs(), clock_.unixSeconds(), list) ||
        jsonText(j, "list_uri").empty() || index_.contains(list.dialog)) {
      if (PresenceStateStore* store = service_.stateStore()) {
        store->erase(RecordKind::EventList, record.key);  // expired or unreadable
      }
      continue;
    }
    list.id = next_id_++;
    list.subscriber = record.aor;
    list.list_uri = jsonText(j, "list_uri");
    list.version = roaming::RlmiVersion(list.dialog.local_cseq);  // never above the CSeq
    list.owed = true;
    list.restored = true;
    index_.add(list.dialog, list.id);
    lists_by_id_.emplace(list.id, std::move(list));
  }
}

std::optional<int64_t> StandardEventList::nextDeadlineMs() const {
  std::optional<int64_t> next;
  for (const auto& [id, list] : lists_by_id_) {
    if (!next || list.expires_ms < *next) {
      next = list.expires_ms;
    }
  }
  return next;
}

void StandardEventList::sendOwedNotify(SubscriptionId id) {
  auto it = lists_by_id_.find(id);
  if (it == lists_by_id_.end() || !it->second.owed) {
    return;
  }
  List& list = it->second;
  list.owed = false;
  sendFull(list);
}

void StandardEventList::expire() {
  std::vector<SubscriptionId> restored;
  for (auto& [id, list] : lists_by_id_) {
    if (list.restored && list.expires_ms > clock_.monotonicMs()) {
      restored.push_back(id);
    }
  }
  for (SubscriptionId id : restored) {
    auto it = lists_by_id_.find(id);
    if (it == lists_by_id_.end()) {
      continue;
    }
    it->second.restored = false;
    startMembers(it->second);  // owed: members here report into the full state below
    sendOwedNotify(id);
  }
  for (SubscriptionId id : expiredIds(lists_by_id_, clock_.monotonicMs())) {
    List& list = lists_by_id_.at(id);
    list.terminating = true;
    list.owed = false;
    sendFull(list);
  }
}

void StandardEventList::contactsChanged(std::string_view subscriber) {
  for (auto& [id, list] : lists_by_id_) {
    if (list.subscriber != subscriber || list.terminating || list.restored) {
      continue;  // a restored list reads the list when it restarts
    }
    // Members on this shard report during startMembers(); with `owed` set they only update
    // their state, which the full NOTIFY below carries; the others follow as partial ones.
    const bool owed = list.owed;
    list.owed = true;
    stopMembers(list);
    startMembers(list);
    list.owed = owed;
    if (!owed) {
      sendFull(list);
    }
  }
}

void StandardEventList::sendFull(List& list) {
  std::vector<roaming::ResourceState> all;
  for (const Member& m : list.members) {
    all.push_back(m.state);
  }
  send(list, all, /*full=*/true);
}

void StandardEventList::send(List& list, const std::vector<roaming::ResourceState>& resources,
                             bool full) {
  roaming::EventListRequest request;
  request.list_uri = list.list_uri;
  request.version = list.version.next();
  request.full_state = full;
  request.boundary = roaming::makeBoundary(proxy::random64());
  request.cid_domain = cid_domain_;
  request.resources = resources;
  auto body = roaming::buildEventListBody(request);
  if (!body) {
    static auto failed = proxy::counters::get("presence.eventlist.render_failed");
    failed.add();
    LOG_WARN("presence: eventlist NOTIFY for %s not built: %s", list.list_uri.c_str(),
             body.error().detail.c_str());
    if (list.terminating) {
      remove(list.id);
    }
    return;
  }
  NotifyMessage m = list.nextNotify("presence", clock_.monotonicMs());
  m.content_type = body->content_type;
  m.body = std::make_shared<const std::string>(std::move(body->body));
  static auto sent = proxy::counters::get("presence.eventlist.notifies");
  sent.add();
  sink_.sendNotify(m);
  if (list.terminating) {
    remove(list.id);
  } else if (list.cseqBoundReached()) {
    persist(list);
  }
}

void StandardEventList::remove(SubscriptionId id) {
  auto it = lists_by_id_.find(id);
  if (it == lists_by_id_.end()) {
    return;
  }
  stopMembers(it->second);
  index_.erase(it->second.dialog);
  eraseHeld(service_.stateStore(), RecordKind::EventList, it->second);
  lists_by_id_.erase(it);
}

}  // namespace core::presence
