// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/stages/mesh.h"

#include <algorithm>
#include <charconv>

#include "core-server/im/im_formats.h"
#include "core-server/im/stages/session_requests.h"
#include "proxy/base/clock.h"
#include "proxy/base/counters.h"
#include "proxy/base/random.h"
#include "proxy/base/strings.h"
#include "proxy/sip/name_addr.h"

namespace core::im {

using proxy::sip::HeaderName;
using proxy::sip::Method;
using proxy::sip::SipMessage;

namespace {

constexpr size_t kMaxRecentSends = 64;

// What sipe needs to turn the INVITE into a multiparty chat (sipe-incoming.c,
// process_incoming_invite): TriggeredInvite alone does it. No EndPoints: sipe
// would then INVITE the other members itself (MULTIPARTY.md §3).
constexpr std::string_view kMultipartyHeaders =
    "TriggeredInvite: TRUE\r\n"
    "Require: com.microsoft.rtc-multiparty\r\n";

Mesh::Answer simpleAnswer(int status, std::string_view reason) {
  Mesh::Answer a;
  a.status = status;
  a.reason = std::string(reason);
  return a;
}

bool isSuccess(int status) { return status >= 200 && status < 300; }

std::string hostOfContact(const std::string& contact) {
  auto parsed = proxy::sip::NameAddr::parse(contact);
  if (!parsed) {
    return "127.0.0.1";
  }
  std::string host(parsed->uri().host());
  if (host.starts_with("[") && host.size() > 2) {
    host = host.substr(1, host.size() - 2);
  }
  return host.empty() ? "127.0.0.1" : host;
}

}  // namespace

std::optional<unsigned> meshShardOf(std::string_view call_id) {
  if (!call_id.ends_with(kMeshCallIdSuffix)) {
    return std::nullopt;
  }
  call_id.remove_suffix(kMeshCallIdSuffix.size());
  const size_t sh = call_id.rfind("-sh");
  if (sh == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view digits = call_id.substr(sh + 3);
  unsigned shard = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), shard);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
    return std::nullopt;
  }
  return shard;
}

Mesh::Mesh(Send send, ToFocus to_focus, Leave leave, ContactFor contact_for, Options options)
    : send_(std::move(send)),
      to_focus_(std::move(to_focus)),
      leave_(std::move(leave)),
      contact_for_(std::move(contact_for)),
      options_(std::move(options)),
      alive_(std::make_shared<Mesh*>(this)) {}

Mesh::~Mesh() { *alive_ = nullptr; }

int64_t Mesh::nowMs() { return proxy::SystemClock::instance().monotonicMs(); }

size_t Mesh::dialogs() const {
  size_t n = 0;
  for (const auto& [id, leg] : legs_) {
    n += leg->dialogs.size();
  }
  return n;
}

Mesh::Leg* Mesh::findLeg(const std::string& aor, const std::string& conversation) {
  auto it = by_key_.find(aor + "\n" + conversation);
  if (it == by_key_.end()) {
    return nullptr;
  }
  auto leg = legs_.find(it->second);
  return leg == legs_.end() ? nullptr : leg->second.get();
}

std::string Mesh::callIdOf(const std::string& aor, const std::string& conversation) const {
  auto it = by_key_.find(aor + "\n" + conversation);
  return it == by_key_.end() ? std::string() : legs_.at(it->second)->call_id;
}

std::vector<std::string> Mesh::membersOf(const std::string& aor,
                                         const std::string& conversation) const {
  std::vector<std::string> out;
  auto it = by_key_.find(aor + "\n" + conversation);
  if (it != by_key_.end()) {
    for (const auto& [member, d] : legs_.at(it->second)->dialogs) {
      out.push_back(member);
    }
  }
  return out;
}

Mesh::Leg& Mesh::legFor(const std::string& aor, const std::string& conversation,
                        const Endpoint& endpoint) {
  if (Leg* leg = findLeg(aor, conversation)) {
    return *leg;
  }
  static auto opened = proxy::counters::get("im.mesh.legs_opened");
  opened.add();
  auto leg = std::make_unique<Leg>();
  leg->id = next_id_++;
  leg->conversation = conversation;
  leg->user_aor = aor;
  leg->call_id = proxy::randomToken(20) + "-sh" + std::to_string(options_.shard) +
                 std::string(kMeshCallIdSuffix);
  leg->endpoint = endpoint;
  leg->contact = contact_for_(endpoint.flow);
  by_key_[aor + "\n" + conversation] = leg->id;
  by_call_id_[leg->call_id] = leg->id;
  Leg& out = *leg;
  legs_.emplace(leg->id, std::move(leg));
  return out;
}

std::string Mesh::sdp(const Leg& leg) const { return imSessionSdp(hostOfContact(leg.contact)); }

std::string Mesh::dialogText(const Leg& leg, const Dialog& d, std::string_view method,
                             uint32_t cseq, std::string_view content_type,
                             std::string_view body) const {
  SessionDialog sd{
      leg.call_id,     d.local_tag, d.remote_tag, aorNameAddr(d.member), aorNameAddr(leg.user_aor),
      d.remote_target, leg.contact};
  return buildInDialogRequest(sd, method, cseq, content_type, body, options_.user_agent);
}

Mesh::Dialog& Mesh::ensureDialog(Leg& leg, const std::string& member) {
  auto it = leg.dialogs.find(member);
  if (it != leg.dialogs.end()) {
    return it->second;
  }
  Dialog& d = leg.dialogs[member];
  d.member = member;
  d.local_tag = proxy::randomToken(12);
  invite(leg, d);
  return d;
}

void Mesh::invite(Leg& leg, Dialog& d) {
  static auto invites = proxy::counters::get("im.mesh.invites");
  invites.add();
  SessionDialog sd{leg.call_id, d.local_tag, {}, aorNameAddr(d.member), aorNameAddr(leg.user_aor),
                   {},          leg.contact};
  const std::string conversation_id = leg.conversation.substr(0, leg.conversation.find('@'));
  std::string text = buildSessionInvite(sd, leg.endpoint.uri, conversation_id, {}, sdp(leg),
                                        options_.user_agent, kMultipartyHeaders);
  std::weak_ptr<Mesh*> weak = alive_;
  sd.remote_target = leg.endpoint.uri;
  auto sent = std::make_shared<const SessionDialog>(std::move(sd));
  send_(std::move(text), leg.endpoint.flow,
        [weak, id = leg.id, member = d.member, sent, flow = leg.endpoint.flow](Response r) {
          if (auto self = weak.lock(); self && *self != nullptr) {
            (*self)->onInviteResponse(id, member, *sent, flow, std::move(r));
          }
        });
}

void Mesh::onInviteResponse(uint64_t leg_id, const std::string& member, const SessionDialog& sent,
                            const std::optional<proxy::transport::Flow>& flow, Response r) {
  auto it = legs_.find(leg_id);
  Leg* leg = it == legs_.end() ? nullptr : it->second.get();
  auto d = leg != nullptr ? leg->dialogs.find(member) : decltype(leg->dialogs.end()){};
  const bool current =
      leg != nullptr && d != leg->dialogs.end() && d->second.local_tag == sent.local_tag;
  if (!current) {
    if (isSuccess(r.status)) {
      // The member left (or P did) while P's client was answering: take it and end it.
      SessionDialog gone = sent;
      gone.remote_tag = r.to_tag;
      if (!r.contact.empty()) {
        gone.remote_target = r.contact;
      }
      send_(buildAck(gone, gone.remote_target, gone.remote_tag), flow, {});
      send_(buildInDialogRequest(gone, "BYE", 2, {}, {}, options_.user_agent), flow,
            [](Response) {});
    }
    return;
  }
  Dialog& dialog = d->second;
  if (!isSuccess(r.status)) {
    // P's client refused the member: without any dialog P has left the chat.
    dropDialog(*leg, member, r.status);
    return;
  }
  dialog.up = true;
  dialog.remote_tag = r.to_tag;
  dialog.remote_target = r.contact.empty() ? leg->endpoint.uri : r.contact;
  SessionDialog sd{leg->call_id,        dialog.local_tag,           dialog.remote_tag,
                   aorNameAddr(member), aorNameAddr(leg->user_aor), dialog.remote_target,
                   leg->contact};
  send_(buildAck(sd, dialog.remote_target, dialog.remote_tag), leg->endpoint.flow, {});
  std::deque<Pending> pending = std::move(dialog.pending);
  dialog.pending.clear();
  for (Pending& p : pending) {
    sendInDialog(*leg, dialog, std::move(p));
  }
}

void Mesh::dropDialog(Leg& leg, const std::string& member, int status) {
  auto d = leg.dialogs.find(member);
  if (d == leg.dialogs.end()) {
    return;
  }
  std::deque<Pending> pending = std::move(d->second.pending);
  leg.dialogs.erase(d);
  for (Pending& p : pending) {
    if (p.done) {
      p.done(status);
    }
  }
  if (leg.dialogs.empty()) {
    const std::string conversation = leg.conversation;
    const std::string aor = leg.user_aor;
    eraseLeg(leg.id);
    if (leave_) {
      leave_(conversation, aor);
    }
  }
}

void Mesh::sendInDialog(Leg& leg, Dialog& d, Pending p) {
  std::string text = dialogText(leg, d, p.method, ++d.cseq, p.content_type, p.body);
  std::weak_ptr<Mesh*> weak = alive_;
  auto retry = std::make_shared<Pending>(Pending{p.method, p.content_type, p.body, {}});
  send_(std::move(text), leg.endpoint.flow,
        [weak, id = leg.id, member = d.member, tag = d.local_tag, retry,
         done = std::move(p.done)](Response r) mutable {
          Mesh* self = weak.lock() ? *weak.lock() : nullptr;
          if (self != nullptr && (r.status == 481 || r.status == 408)) {
            // P's client lost this dialog: open it again, once, and resend.
            auto leg = self->legs_.find(id);
            if (leg != self->legs_.end()) {
              auto dialog = leg->second->dialogs.find(member);
              if (dialog != leg->second->dialogs.end() && dialog->second.local_tag == tag &&
                  !dialog->second.reopened) {
                static auto reopened = proxy::counters::get("im.mesh.dialogs_reopened");
                reopened.add();
                Dialog& again = dialog->second;
                again.up = false;
                again.reopened = true;
                again.local_tag = proxy::randomToken(12);
                again.remote_tag.clear();
                again.cseq = 1;
                retry->done = std::move(done);
                again.pending.push_back(std::move(*retry));
                self->invite(*leg->second, again);
                return;
              }
              if (dialog != leg->second->dialogs.end() && dialog->second.local_tag == tag) {
                self->dropDialog(*leg->second, member, r.status);
              }
            }
          }
          if (done) {
            done(r.status);
          }
        });
}

void Mesh::queueOrSend(Leg& leg, const std::string& member, Pending p) {
  Dialog& d = ensureDialog(leg, member);
  if (!d.up) {
    d.pending.push_back(std::move(p));
    return;
  }
  sendInDialog(leg, d, std::move(p));
}

void Mesh::bye(Leg& leg, const Dialog& d) {
  if (d.remote_tag.empty()) {
    return;
  }
  send_(dialogText(leg, d, "BYE", d.cseq + 1, {}, {}), leg.endpoint.flow, [](Response) {});
}

void Mesh::eraseLeg(uint64_t id) {
  auto it = legs_.find(id);
  if (it == legs_.end()) {
    return;
  }
  Leg& leg = *it->second;
  auto key = by_key_.find(leg.user_aor + "\n" + leg.conversation);
  if (key != by_key_.end() && key->second == id) {
    by_key_.erase(key);
  }
  by_call_id_.erase(leg.call_id);
  legs_.erase(it);
}

void Mesh::deliver(const PageMessage& m, const Endpoint& endpoint, StatusCallback done) {
  static auto copies = proxy::counters::get("im.mesh.copies");
  const MeshEvent& e = m.mesh;
  const std::string& aor = m.to_aor;
  switch (e.kind) {
    case MeshEvent::Kind::None:
      done(400);
      return;
    case MeshEvent::Kind::Joined: {
      Leg& leg = legFor(aor, e.conversation, endpoint);
      if (e.member == aor) {  // P joined: a dialog from everyone already there
        for (const std::string& member : e.participants) {
          if (member != aor) {
            ensureDialog(leg, member);
          }
        }
      } else {
        ensureDialog(leg, e.member);
      }
      done(200);
      return;
    }
    case MeshEvent::Kind::Left: {
      Leg* leg = findLeg(aor, e.conversation);
      if (leg == nullptr) {
        done(200);
        return;
      }
      if (e.member == aor) {  // P left (removed by someone, or gone): end every dialog
        for (auto& [member, d] : leg->dialogs) {
          bye(*leg, d);
          for (Pending& p : d.pending) {
            if (p.done) {
              p.done(480);
            }
          }
        }
        eraseLeg(leg->id);
        done(200);
        return;
      }
      auto d = leg->dialogs.find(e.member);
      if (d != leg->dialogs.end()) {
        bye(*leg, d->second);
        std::deque<Pending> pending = std::move(d->second.pending);
        leg->dialogs.erase(d);
        for (Pending& p : pending) {
          if (p.done) {
            p.done(480);
          }
        }
      }
      done(200);
      return;
    }
    case MeshEvent::Kind::Message:
      break;
  }
  Leg& leg = legFor(aor, e.conversation, endpoint);
  if (proxy::toLower(m.content_type).starts_with(kIsComposingType)) {
    std::optional<bool> active = parseIsComposing(m.body);
    auto d = leg.dialogs.find(e.member);
    if (!active || d == leg.dialogs.end() || !d->second.up) {
      done(active ? 200 : 400);  // typing opens no dialog
      return;
    }
    sendInDialog(leg, d->second,
                 Pending{"INFO", std::string(kKeyboardActivityType), buildKeyboardActivity(*active),
                         std::move(done)});
    return;
  }
  copies.add();
  queueOrSend(leg, e.member, Pending{"MESSAGE", m.content_type, m.body, std::move(done)});
}

bool Mesh::isDuplicate(Leg& leg, const std::string& member, std::string key) {
  const int64_t now = nowMs();
  while (!leg.recent.empty() && now - leg.recent.front().at_ms > options_.duplicate_window_ms) {
    leg.recent.pop_front();
  }
  // The oldest recent send with this content that has no copy on this member's
  // dialog yet: this is that copy (copies of two sends may interleave). A copy
  // on a dialog every such send already had is a new send (the same text again).
  for (Sent& sent : leg.recent) {
    if (sent.key == key &&
        std::find(sent.members.begin(), sent.members.end(), member) == sent.members.end()) {
      sent.members.push_back(member);
      return true;
    }
  }
  leg.recent.push_back(Sent{std::move(key), now, {member}});
  if (leg.recent.size() > kMaxRecentSends) {
    leg.recent.pop_front();
  }
  return false;
}

void Mesh::onInDialog(const SipMessage& request, std::function<void(Answer)> answer) {
  static auto unknown = proxy::counters::get("im.mesh.unknown_dialog");
  static auto duplicates = proxy::counters::get("im.mesh.duplicate_copies");
  static auto sends = proxy::counters::get("im.mesh.sends");
  auto from = request.from();
  auto to = request.to();
  auto it = by_call_id_.find(std::string(request.callId()));
  Leg* leg = it == by_call_id_.end() ? nullptr : legs_[it->second].get();
  Dialog* d = nullptr;
  if (leg != nullptr && to && from) {
    for (auto& [member, dialog] : leg->dialogs) {
      if (dialog.local_tag == to->tag() &&
          (!dialog.up || dialog.remote_tag.empty() || dialog.remote_tag == from->tag())) {
        d = &dialog;
        break;
      }
    }
  }
  const Method method = request.method();
  if (method == Method::Ack) {
    answer(simpleAnswer(0, ""));
    return;
  }
  if (d == nullptr) {
    unknown.add();
    answer(simpleAnswer(481, "Call/Transaction Does Not Exist"));
    return;
  }
  if (method == Method::Bye) {
    answer(simpleAnswer(200, "OK"));
    static auto byes = proxy::counters::get("im.mesh.byes_from_user");
    byes.add();
    dropDialog(*leg, std::string(d->member), 481);  // the last one: P left
    return;
  }
  if (method == Method::Invite || method == Method::Update) {  // session refresh
    if (!request.body().empty() && !offersImSession(request.body())) {
      answer(simpleAnswer(488, "Not Acceptable Here"));
      return;
    }
    Answer ok = simpleAnswer(200, "OK");
    ok.with_sdp = true;
    ok.contact = leg->contact;
    ok.sdp = sdp(*leg);
    answer(std::move(ok));
    return;
  }
  if (method == Method::Options) {
    answer(simpleAnswer(200, "OK"));
    return;
  }
  PageMessage page;
  page.from = aorNameAddr(leg->user_aor);
  page.to_aor = leg->conversation;
  page.to = aorNameAddr(leg->conversation);
  if (method == Method::Info) {
    std::string_view type = request.header(HeaderName::ContentType);
    std::optional<bool> typing = proxy::toLower(type).starts_with(kKeyboardActivityType)
                                     ? parseKeyboardActivity(request.body())
                                     : std::nullopt;
    answer(simpleAnswer(200, "OK"));  // typing is best effort
    if (typing && !isDuplicate(*leg, d->member, *typing ? "typing:1" : "typing:0")) {
      page.content_type = std::string(kIsComposingType);
      page.body = buildIsComposing(*typing);
      to_focus_(std::move(page), [](int) {});
    }
    return;
  }
  if (method != Method::Message) {
    answer(simpleAnswer(405, "Method Not Allowed"));
    return;
  }
  page.content_type = std::string(request.header(HeaderName::ContentType));
  page.body = std::string(request.body());
  if (isDuplicate(*leg, d->member, page.content_type + "\n" + page.body)) {
    duplicates.add();
    answer(simpleAnswer(200, "OK"));  // a further per-member copy: its send is out already
    return;
  }
  sends.add();
  to_focus_(std::move(page),
            [answer = std::move(answer)](int status) { answer(simpleAnswer(status, "")); });
}

Mesh::Answer Mesh::onTriggeredInvite(const SipMessage& request, const std::string& member_aor) {
  static auto triggered = proxy::counters::get("im.mesh.triggered_invites");
  auto it = by_call_id_.find(std::string(request.callId()));
  auto from = request.from();
  auto contact = proxy::sip::NameAddr::parse(request.header(HeaderName::Contact));
  if (it == by_call_id_.end() || !from || from->tag().empty()) {
    return simpleAnswer(481, "Call/Transaction Does Not Exist");
  }
  triggered.add();
  Leg& leg = *legs_[it->second];
  auto existing = leg.dialogs.find(member_aor);
  if (existing != leg.dialogs.end() && existing->second.up) {
    // P already has this member: its second dialog replaces ours (sipe keeps one per member).
    bye(leg, existing->second);
    leg.dialogs.erase(existing);
  }
  Dialog& d = leg.dialogs[member_aor];
  d.member = member_aor;
  d.local_tag = proxy::randomToken(12);
  d.remote_tag = std::string(from->tag());
  d.remote_target = contact ? std::string(contact->uriText()) : leg.endpoint.uri;
  d.up = true;
  std::deque<Pending> pending = std::move(d.pending);
  d.pending.clear();
  for (Pending& p : pending) {
    sendInDialog(leg, d, std::move(p));
  }
  Answer ok = simpleAnswer(200, "OK");
  ok.with_sdp = true;
  ok.contact = leg.contact;
  ok.sdp = sdp(leg);
  ok.to_tag = d.local_tag;
  return ok;
}

void Mesh::userGone(const std::string& aor) {
  std::vector<uint64_t> gone;
  for (const auto& [id, leg] : legs_) {
    if (leg->user_aor == aor) {
      gone.push_back(id);
    }
  }
  for (uint64_t id : gone) {
    const std::string conversation = legs_[id]->conversation;
    eraseLeg(id);
    if (leave_) {
      leave_(conversation, aor);
    }
  }
}

}  // namespace core::im
