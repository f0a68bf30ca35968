// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/stages/focus.h"

#include <algorithm>

#include "core-server/im/im_formats.h"
#include "proxy/base/clock.h"
#include "proxy/base/counters.h"
#include "proxy/base/random.h"
#include "proxy/base/strings.h"
#include "proxy/sip/name_addr.h"

namespace core::im {

bool isFocusAor(std::string_view aor) {
  const size_t at = aor.find('@');
  return aor.starts_with(kFocusPrefix) && at != std::string_view::npos &&
         at > kFocusPrefix.size();  // a non-empty id
}

Conversation& Focus::getOrCreate(const std::string& focus_aor) {
  auto it = conversations_.find(focus_aor);
  if (it == conversations_.end()) {
    it = conversations_.emplace(focus_aor, Conversation(focus_aor, max_participants_)).first;
  }
  return it->second;
}

const Conversation* Focus::find(std::string_view focus_aor) const {
  auto it = conversations_.find(std::string(focus_aor));
  return it == conversations_.end() ? nullptr : &it->second;
}

int Focus::onMessage(const std::string& focus_aor, const std::string& sender_aor,
                     std::string content_type, std::string body) {
  static auto fanned = proxy::counters::get("im.focus.copies");
  Conversation& c = getOrCreate(focus_aor);
  switch (c.add(sender_aor)) {
    case Conversation::Join::Full:
      return 486;
    case Conversation::Join::Added:
      announce(c, sender_aor, true);
      break;
    case Conversation::Join::Already:
      break;
  }
  const bool typing = proxy::toLower(content_type).starts_with(kIsComposingType);
  // From the focus, with the writer as display name: a reply goes to everyone.
  const std::string from = "\"" + sender_aor + "\" " + aorNameAddr(focus_aor);
  for (const std::string& p : c.others(sender_aor)) {
    PageMessage m;
    m.from = from;
    m.to_aor = p;
    m.to = aorNameAddr(p);
    m.content_type = content_type;
    m.body = body;
    m.mesh.kind = MeshEvent::Kind::Message;
    m.mesh.conversation = focus_aor;
    m.mesh.member = sender_aor;
    relay_(std::move(m), /*store_if_offline=*/!typing, [](int) {});
    fanned.add();
  }
  return 202;  // accepted for distribution; offline participants get it stored
}

int Focus::onRefer(const std::string& focus_aor, const std::string& sender_aor,
                   std::string_view refer_to) {
  auto target = proxy::sip::NameAddr::parse(refer_to);
  if (!target || !target->uri().isSip() || target->uri().user().empty()) {
    return 400;
  }
  const std::string aor = target->uri().aor();
  const proxy::sip::Param* method = target->uri().param("method");
  Conversation& c = getOrCreate(focus_aor);
  if (c.add(sender_aor) == Conversation::Join::Added) {  // the creator, or a newcomer
    announce(c, sender_aor, true);
  }
  if (method != nullptr && proxy::toLower(method->value) == "bye") {
    if (!c.has(aor)) {
      return 404;
    }
    departed(focus_aor, aor);  // may end the conversation: `c` is not used after this
    return 202;
  }
  if (!known_(aor)) {
    return 404;
  }
  switch (c.add(aor)) {
    case Conversation::Join::Full:
      return 486;
    case Conversation::Join::Already:
      return 202;
    case Conversation::Join::Added:
      announce(c, aor, true);
      return 202;
  }
  return 500;
}

void Focus::onLeft(const std::string& focus_aor, const std::string& aor) {
  departed(focus_aor, aor);
}

void Focus::departed(const std::string& focus_aor, const std::string& aor) {
  auto it = conversations_.find(focus_aor);
  if (it == conversations_.end() || !it->second.remove(aor)) {
    return;
  }
  for (uint64_t id : subscriptions_.watchersOf(focus_aor)) {
    if (const ConferenceSubscription* s = subscriptions_.find(id); s && s->watcher_aor == aor) {
      terminate(id, "rejected");  // no longer a participant (RFC 6665 §4.1.3)
    }
  }
  announce(it->second, aor, false);
  // The one who left may still hold dialogs of the mesh (an OCS client removed by
  // someone else): only the mesh acts on this copy (ImService::deliverToBindings).
  PageMessage gone;
  gone.from = aorNameAddr(focus_aor);
  gone.to_aor = aor;
  gone.to = aorNameAddr(aor);
  gone.mesh.kind = MeshEvent::Kind::Left;
  gone.mesh.conversation = focus_aor;
  gone.mesh.member = aor;
  relay_(std::move(gone), /*store_if_offline=*/false, [](int) {});
  if (it->second.participants().empty()) {  // the conversation ends
    for (uint64_t id : subscriptions_.watchersOf(focus_aor)) {
      terminate(id, "noresource");
    }
    conversations_.erase(it);
  }
}

void Focus::announce(const Conversation& c, std::string_view aor, bool joined) {
  // Subscribers get the change by NOTIFY (RFC 4575 partial state) instead of by MESSAGE.
  std::vector<std::string> watching;
  for (uint64_t id : subscriptions_.watchersOf(c.focusAor())) {
    ConferenceSubscription* s = subscriptions_.find(id);
    if (s == nullptr) {
      continue;  // ended by a NOTIFY that failed at once
    }
    watching.push_back(s->watcher_aor);
    const std::string body = conferenceInfoPartial(c.focusAor(), aor, joined, ++s->version);
    const int64_t left_ms = std::max<int64_t>(0, s->expires_ms - nowMs());
    sendNotify(*s, "active;expires=" + std::to_string(left_ms / 1000), body);
  }
  const std::string roster = c.conferenceInfo();
  const std::string notice = Conversation::notice(aor, joined);
  for (const std::string& p : c.participants()) {
    if (std::find(watching.begin(), watching.end(), p) != watching.end()) {
      continue;
    }
    PageMessage m;
    m.from = aorNameAddr(c.focusAor());
    m.to_aor = p;
    m.to = aorNameAddr(p);
    m.content_type = std::string(kConferenceInfoType);
    m.body = roster;
    m.notice = notice;
    m.mesh.kind = joined ? MeshEvent::Kind::Joined : MeshEvent::Kind::Left;
    m.mesh.conversation = c.focusAor();
    m.mesh.member = std::string(aor);
    if (joined) {
      m.mesh.participants = c.participants();
    }
    relay_(std::move(m), /*store_if_offline=*/false, [](int) {});
  }
}

Focus::SubscribeResult Focus::subscribe(ConferenceSubscription s, std::optional<uint32_t> expires,
                                        int64_t now_ms) {
  static auto refused = proxy::counters::get("im.focus.subscribe_refused");
  auto it = conversations_.find(s.focus_aor);
  if (it == conversations_.end() || !it->second.has(s.watcher_aor)) {
    refused.add();
    return {403, 0, 0};  // participants only
  }
  if (expires && *expires != 0 && *expires < kMinExpires) {
    return {423, 0, kMinExpires};
  }
  const uint32_t granted = std::min(expires.value_or(kDefaultExpires), kDefaultExpires);
  s.dialog.local_tag = proxy::randomToken(12);
  s.expires_ms = now_ms + int64_t{granted} * 1000;
  return {200, subscriptions_.add(std::move(s)).id, granted};
}

Focus::SubscribeResult Focus::refresh(uint64_t id, std::optional<uint32_t> expires, uint32_t cseq,
                                      int64_t now_ms) {
  ConferenceSubscription* s = subscriptions_.find(id);
  if (s == nullptr) {
    return {481, 0, 0};
  }
  if (cseq <= s->dialog.remote_cseq) {
    return {500, 0, 0};  // out of order (RFC 3261 §12.2.2)
  }
  if (expires && *expires != 0 && *expires < kMinExpires) {
    return {423, 0, kMinExpires};
  }
  s->dialog.remote_cseq = cseq;
  const uint32_t granted = std::min(expires.value_or(kDefaultExpires), kDefaultExpires);
  s->expires_ms = now_ms + int64_t{granted} * 1000;
  return {200, id, granted};
}

void Focus::notifyAfterSubscribe(uint64_t id, int64_t now_ms) {
  ConferenceSubscription* s = subscriptions_.find(id);
  if (s == nullptr) {
    return;
  }
  static const std::vector<std::string> kNobody;
  const Conversation* c = find(s->focus_aor);
  const std::string body =
      conferenceInfoFull(s->focus_aor, c != nullptr ? c->participants() : kNobody, ++s->version);
  if (s->expires_ms <= now_ms) {  // Expires: 0, a fetch or an unsubscribe
    sendNotify(*s, "terminated;reason=timeout", body);
    subscriptions_.remove(id);
    return;
  }
  sendNotify(*s, "active;expires=" + std::to_string((s->expires_ms - now_ms) / 1000), body);
}

void Focus::expireSubscriptions(int64_t now_ms) {
  for (uint64_t id : subscriptions_.expired(now_ms)) {
    terminate(id, "timeout");
  }
}

void Focus::terminate(uint64_t id, std::string_view reason) {
  if (ConferenceSubscription* s = subscriptions_.find(id)) {
    sendNotify(*s, "terminated;reason=" + std::string(reason), "");
    subscriptions_.remove(id);
  }
}

void Focus::sendNotify(ConferenceSubscription& s, std::string_view state, std::string_view body) {
  static auto sent = proxy::counters::get("im.focus.notify_sent");
  ++s.dialog.local_cseq;
  if (!notify_sender_) {
    return;
  }
  sent.add();
  std::weak_ptr<Focus*> weak = alive_;
  const uint64_t id = s.id;
  notify_sender_(buildConferenceNotify(s, state, body, user_agent_), s.dialog.flow_token,
                 [weak, id](int status) {
                   auto alive = weak.lock();
                   if (alive && *alive != nullptr && status >= 300) {
                     (*alive)->subscriptions_.remove(id);  // the watcher is gone (RFC 6665 §4.2.2)
                   }
                 });
}

int64_t Focus::nowMs() { return proxy::SystemClock::instance().monotonicMs(); }

}  // namespace core::im
