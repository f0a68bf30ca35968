// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/stages/bridge.h"

#include "core-server/im/im_formats.h"
#include "core-server/im/stages/session_requests.h"
#include "proxy/base/clock.h"
#include "proxy/base/counters.h"
#include "proxy/base/log.h"
#include "proxy/base/random.h"
#include "proxy/base/strings.h"
#include "proxy/routing/target_resolver.h"
#include "proxy/sip/name_addr.h"

namespace core::im {

using proxy::routing::ContextPtr;
using proxy::routing::Verdict;
using proxy::sip::HeaderName;
using proxy::sip::Method;
using proxy::sip::SipMessage;

std::string imDialogContact(std::string_view user, const proxy::transport::Flow* flow,
                            const proxy::routing::LocalAddresses& us, unsigned shard) {
  const proxy::transport::Protocol protocol =
      flow != nullptr ? flow->protocol : proxy::transport::Protocol::Tcp;
  std::string host;
  if (flow != nullptr && flow->local.family() != AF_UNSPEC) {
    host = proxy::routing::hostPort(flow->local);
  }
  if (host.empty() || host.starts_with("0.0.0.0:") || host.starts_with("[::]:")) {
    host = us.sentBy(protocol);
  }
  std::string contact = "<sip:";
  contact.append(user).append("@").append(host);
  contact.append(";transport=").append(proxy::toLower(proxy::transport::protocolName(protocol)));
  contact.append(";").append(proxy::routing::ShardRouter::kShardParam).append("=");
  contact.append(std::to_string(shard)).append(">");
  return contact;
}

namespace {

std::string bridgeContact(const proxy::transport::Flow* flow,
                          const proxy::routing::LocalAddresses& us, unsigned shard) {
  return imDialogContact(kBridgeUser, flow, us, shard);
}

std::string hostOf(const std::string& contact) {
  size_t at = contact.find('@');
  size_t end = contact.find_first_of(":;>", at == std::string::npos ? 0 : at + 1);
  if (at == std::string::npos || end == std::string::npos) {
    return "127.0.0.1";
  }
  std::string host = contact.substr(at + 1, end - at - 1);
  return host.starts_with("[") ? host.substr(1, host.size() > 2 ? host.size() - 2 : 0) : host;
}

bool isSuccess(int status) { return status >= 200 && status < 300; }

bool supports(const SipMessage& response, std::string_view option) {
  for (std::string_view token : response.tokens(HeaderName::Supported)) {
    if (proxy::toLower(token) == option) {
      return true;
    }
  }
  return false;
}

}  // namespace

Bridge::Bridge(proxy::routing::ShardRouter& router, Relay relay, int64_t idle_timeout_ms)
    : router_(router),
      relay_(std::move(relay)),
      idle_timeout_ms_(idle_timeout_ms),
      alive_(std::make_shared<Bridge*>(this)) {}

Bridge::~Bridge() {
  *alive_ = nullptr;
  for (auto& [id, s] : sessions_) {
    for (Endpoint& e : s->endpoints) {
      if (e.txn != 0) {
        router_.transactions().detachClient(e.txn);
      }
    }
  }
}

int64_t Bridge::nowMs() const { return proxy::SystemClock::instance().monotonicMs(); }

Bridge::Session* Bridge::find(const std::string& peer_aor, const std::string& target_aor) {
  auto it = by_pair_.find(peer_aor + "\n" + target_aor);
  if (it == by_pair_.end()) {
    return nullptr;
  }
  auto s = sessions_.find(it->second);
  return s == sessions_.end() ? nullptr : s->second.get();
}

void Bridge::sendPage(PageMessage m, const std::vector<const registrar::Binding*>& endpoints,
                      StatusCallback done) {
  std::string peer_aor;
  if (auto from = proxy::sip::NameAddr::parse(m.from); from && from->uri().isSip()) {
    peer_aor = from->uri().aor();
  }
  if (peer_aor.empty()) {
    done(400);
    return;
  }
  const bool typing = proxy::toLower(m.content_type).starts_with(kIsComposingType);
  Session* s = find(peer_aor, m.to_aor);
  if (typing) {
    std::optional<bool> active = parseIsComposing(m.body);
    if (!active) {
      done(400);
      return;
    }
    if (s == nullptr || !s->established) {
      done(200);  // typing alone opens no session; nothing to tell yet
      return;
    }
    sendInDialog(*s, "INFO", kKeyboardActivityType, buildKeyboardActivity(*active),
                 std::move(done));
    return;
  }
  if (s == nullptr) {
    open(std::move(m), endpoints, std::move(done));
    return;
  }
  if (!s->established) {
    s->waiting.push_back(Waiting{std::move(m.content_type), std::move(m.body), std::move(done)});
    return;
  }
  // An established session: MESSAGE inside it. If the endpoint lost the dialog
  // (481, or it is gone: 408 / 503), forget the session and open a fresh one, once.
  std::weak_ptr<Bridge*> weak = alive_;
  auto retry = std::make_shared<PageMessage>(m);
  const uint64_t id = s->id;
  std::vector<registrar::Binding> copies;
  for (const registrar::Binding* b : endpoints) {
    copies.push_back(*b);
  }
  auto bindings = std::make_shared<std::vector<registrar::Binding>>(std::move(copies));
  sendInDialog(*s, "MESSAGE", m.content_type, m.body,
               [weak, id, retry, bindings, done = std::move(done)](int status) mutable {
                 Bridge* self = weak.lock() ? *weak.lock() : nullptr;
                 if (self == nullptr || (status != 481 && status != 408 && status != 503)) {
                   done(status);
                   return;
                 }
                 self->erase(id);
                 std::vector<const registrar::Binding*> again;
                 for (const registrar::Binding& b : *bindings) {
                   again.push_back(&b);
                 }
                 self->open(std::move(*retry), again, std::move(done));
               });
}

void Bridge::open(PageMessage m, const std::vector<const registrar::Binding*>& endpoints,
                  StatusCallback done) {
  static auto opened = proxy::counters::get("im.bridge.sessions_opened");
  if (endpoints.empty()) {
    done(480);
    return;
  }
  auto session = std::make_unique<Session>();
  Session& s = *session;
  s.id = next_id_++;
  auto from = proxy::sip::NameAddr::parse(m.from);
  s.peer_aor = from->uri().aor();  // checked by sendPage
  s.peer = withoutTag(m.from);
  s.target = withoutTag(m.to);
  s.target_aor = m.to_aor;
  s.call_id = proxy::randomToken(20) + "@confab-im";
  s.local_tag = proxy::randomToken(12);
  s.conversation_id = proxy::randomToken(16);
  s.last_activity_ms = nowMs();
  s.waiting.push_back(Waiting{m.content_type, m.body, std::move(done)});
  for (const registrar::Binding* b : endpoints) {
    s.endpoints.push_back(Endpoint{b->contact, b->flow, 0, 0});
  }
  const proxy::transport::Flow* first_flow =
      s.endpoints.front().flow ? &*s.endpoints.front().flow : nullptr;
  s.local_contact = bridgeContact(first_flow, router_.us(), router_.shardId());
  sessions_.emplace(s.id, std::move(session));
  by_pair_[s.peer_aor + "\n" + s.target_aor] = s.id;
  by_call_id_[s.call_id] = s.id;
  opened.add();

  const std::string sdp = imSessionSdp(hostOf(s.local_contact));
  const std::string text_format = buildMsTextFormat(m.content_type, m.body);
  bool any = false;
  for (size_t i = 0; i < s.endpoints.size(); ++i) {
    Endpoint& e = s.endpoints[i];
    std::string text = buildSessionInvite(dialogOf(s), e.uri, s.conversation_id, text_format, sdp,
                                          router_.config().server_name);
    auto request = SipMessage::parse(text, router_.config().parse_limits);
    std::optional<proxy::transport::Flow> flow = e.flow;
    if (request && !flow) {
      flow = router_.nextHopFor(*request);
    }
    if (!request || !flow) {
      e.status = 404;
      continue;
    }
    any = true;
    std::weak_ptr<Bridge*> weak = alive_;
    const uint64_t id = s.id;
    e.txn = router_.transactions().sendRequest(
        std::move(*request), *flow, router_.us().sentBy(flow->protocol),
        [weak, id, i](SipMessage&& response, bool final) {
          if (!final && response.statusCode() < 200) {
            return;
          }
          if (auto self = weak.lock(); self && *self != nullptr) {
            (*self)->onInviteResponse(id, i, std::move(response));
          }
        });
  }
  if (!any) {
    failSession(s.id, 480);
  }
}

void Bridge::onInviteResponse(uint64_t id, size_t index, SipMessage&& response) {
  auto it = sessions_.find(id);
  const int status = response.statusCode();
  if (it == sessions_.end()) {
    if (isSuccess(status)) {
      // A late 2xx for a session already given up: take it and end it at once.
      Session gone;
      gone.call_id = std::string(response.callId());
      if (auto from = response.from()) {
        gone.local_tag = std::string(from->tag());
        gone.peer = withoutTag(response.header(HeaderName::From));
      }
      gone.target = withoutTag(response.header(HeaderName::To));
      sendAckAndMaybeBye(gone, response, true, std::nullopt);
    }
    return;
  }
  Session& s = *it->second;
  Endpoint& e = s.endpoints[index];
  e.status = status;
  e.txn = 0;
  if (isSuccess(status)) {
    if (s.established) {
      sendAckAndMaybeBye(s, response, true, e.flow);  // another endpoint won: only one gets it
      return;
    }
    establish(s, index, response);
    return;
  }
  if (s.established) {
    return;
  }
  std::vector<int> finals;
  for (const Endpoint& other : s.endpoints) {
    if (other.status == 0) {
      return;  // still ringing somewhere
    }
    finals.push_back(other.status);
  }
  const int best = bestFinalStatus(finals);
  // Gone or timed-out endpoints look like an offline user to the sender.
  failSession(id, best == 408 || best == 503 || best == 0 ? 480 : best);
}

void Bridge::establish(Session& s, size_t index, const SipMessage& response) {
  static auto established = proxy::counters::get("im.bridge.sessions_established");
  established.add();
  s.established = true;
  s.last_activity_ms = nowMs();
  if (auto to = response.to()) {
    s.remote_tag = std::string(to->tag());
  }
  s.remote_target = s.endpoints[index].uri;
  if (auto contact = proxy::sip::NameAddr::parse(response.header(HeaderName::Contact))) {
    s.remote_target = std::string(contact->uriText());
  }
  s.flow = s.endpoints[index].flow;
  sendAckAndMaybeBye(s, response, false, s.flow);
  for (size_t i = 0; i < s.endpoints.size(); ++i) {
    if (i != index && s.endpoints[i].txn != 0) {
      router_.transactions().cancelClient(s.endpoints[i].txn);  // MPOP: others stop ringing
    }
  }
  std::deque<Waiting> waiting = std::move(s.waiting);
  s.waiting.clear();
  if (s.inline_pending && !waiting.empty()) {
    s.inline_pending = false;
    if (supports(response, "ms-text-format")) {
      waiting.front().done(200);  // the endpoint took the message in the INVITE
    } else {
      Waiting& first = waiting.front();
      sendInDialog(s, "MESSAGE", first.content_type, std::move(first.body), std::move(first.done));
    }
    waiting.pop_front();
  }
  for (Waiting& w : waiting) {
    sendInDialog(s, "MESSAGE", w.content_type, std::move(w.body), std::move(w.done));
  }
}

void Bridge::failSession(uint64_t id, int status) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    return;
  }
  std::deque<Waiting> waiting = std::move(it->second->waiting);
  erase(id);
  for (Waiting& w : waiting) {
    w.done(status);
  }
}

void Bridge::erase(uint64_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    return;
  }
  Session& s = *it->second;
  for (Endpoint& e : s.endpoints) {
    if (e.txn != 0) {
      router_.transactions().cancelClient(e.txn);
    }
  }
  auto pair = by_pair_.find(s.peer_aor + "\n" + s.target_aor);
  if (pair != by_pair_.end() && pair->second == id) {
    by_pair_.erase(pair);
  }
  by_call_id_.erase(s.call_id);
  sessions_.erase(it);
}

SessionDialog Bridge::dialogOf(const Session& s) {
  return SessionDialog{s.call_id, s.local_tag,     s.remote_tag,   s.peer,
                       s.target,  s.remote_target, s.local_contact};
}

void Bridge::sendInDialog(Session& s, std::string_view method, std::string_view content_type,
                          std::string body, StatusCallback done) {
  s.last_activity_ms = nowMs();
  auto request =
      SipMessage::parse(buildInDialogRequest(dialogOf(s), method, ++s.local_cseq, content_type,
                                             body, router_.config().server_name),
                        router_.config().parse_limits);
  if (!request) {
    if (done) {
      done(481);
    }
    return;
  }
  router_.sendOriginated(std::move(*request), s.flow,
                         [done = std::move(done)](SipMessage&& response, bool final) {
                           if (final && done) {
                             done(response.statusCode());
                           }
                         });
}

void Bridge::sendAckAndMaybeBye(const Session& s, const SipMessage& response, bool bye,
                                std::optional<proxy::transport::Flow> flow) {
  std::string remote_tag;
  if (auto to = response.to()) {
    remote_tag = std::string(to->tag());
  }
  std::string target = s.remote_target;
  if (auto contact = proxy::sip::NameAddr::parse(response.header(HeaderName::Contact))) {
    target = std::string(contact->uriText());
  }
  if (target.empty()) {
    return;  // no way to reach it; its 2xx retransmissions time out
  }
  SessionDialog d = dialogOf(s);
  d.remote_tag = remote_tag;
  d.remote_target = target;
  std::vector<std::string> texts = {buildAck(d, target, remote_tag)};
  if (bye) {
    texts.push_back(buildInDialogRequest(d, "BYE", 2, {}, {}, router_.config().server_name));
  }
  for (std::string& text : texts) {
    auto request = SipMessage::parse(text, router_.config().parse_limits);
    std::optional<proxy::transport::Flow> to = flow;
    if (request && !to) {
      to = router_.nextHopFor(*request);
    }
    if (!request || !to) {
      return;
    }
    router_.transactions().sendRequest(std::move(*request), *to, router_.us().sentBy(to->protocol),
                                       [](SipMessage&&, bool) {});
  }
}

Bridge::Adopted Bridge::adopt(Incoming in) {
  static auto adopted = proxy::counters::get("im.bridge.sessions_adopted");
  adopted.add();
  auto session = std::make_unique<Session>();
  Session& s = *session;
  s.id = next_id_++;
  s.peer_aor = std::move(in.peer_aor);
  s.peer = std::move(in.peer);
  s.target = std::move(in.target);
  s.target_aor = std::move(in.target_aor);
  s.call_id = std::move(in.call_id);
  s.local_tag = proxy::randomToken(12);
  s.remote_tag = std::move(in.remote_tag);
  s.remote_target = std::move(in.remote_target);
  s.flow = in.flow;
  s.local_contact = bridgeContact(s.flow ? &*s.flow : nullptr, router_.us(), router_.shardId());
  s.local_cseq = 0;
  s.established = true;
  s.inline_pending = false;
  s.last_activity_ms = nowMs();
  if (auto old = by_call_id_.find(s.call_id); old != by_call_id_.end()) {
    failSession(old->second, 481);  // the same INVITE again: the new dialog replaces it
  }
  by_pair_[s.peer_aor + "\n" + s.target_aor] = s.id;  // the newest session carries the pair
  by_call_id_[s.call_id] = s.id;
  Adopted out{s.local_contact, s.local_tag, imSessionSdp(hostOf(s.local_contact))};
  sessions_.emplace(s.id, std::move(session));
  return out;
}

Verdict Bridge::onInDialog(ContextPtr& ctx) {
  static auto unknown = proxy::counters::get("im.bridge.unknown_dialog");
  static auto relayed = proxy::counters::get("im.bridge.relayed_to_page_mode");
  const SipMessage& request = ctx->request;
  auto from = request.from();
  auto to = request.to();
  auto it = by_call_id_.find(std::string(request.callId()));
  Session* s = it == by_call_id_.end() ? nullptr : sessions_[it->second].get();
  if (s == nullptr || !from || !to || to->tag() != s->local_tag ||
      (s->established && from->tag() != s->remote_tag)) {
    unknown.add();
    ctx->router.reply(*ctx, 481, "Call/Transaction Does Not Exist");
    return Verdict::Done;
  }
  s->last_activity_ms = nowMs();
  const Method method = request.method();
  if (method == Method::Bye) {
    ctx->router.reply(*ctx, 200, "OK");
    const std::string peer_aor = s->peer_aor;
    const std::string target_aor = s->target_aor;
    failSession(s->id, 481);
    if (on_end) {
      on_end(peer_aor, target_aor);
    }
    return Verdict::Done;
  }
  if (method == Method::Invite || method == Method::Update) {  // session refresh
    if (!request.body().empty() && !offersImSession(request.body())) {
      ctx->router.reply(*ctx, 488, "Not Acceptable Here");
      return Verdict::Done;
    }
    proxy::sip::ResponseBuilder answer(request, 200, "OK");
    answer.header("Contact", s->local_contact)
        .header("Server", ctx->router.config().server_name)
        .body("application/sdp", imSessionSdp(hostOf(s->local_contact)));
    ctx->router.replyBytes(*ctx, 200, answer.build());
    return Verdict::Done;
  }
  if (method == Method::Options) {
    ctx->router.reply(*ctx, 200, "OK");
    return Verdict::Done;
  }
  PageMessage page;
  page.from = s->target;
  page.to_aor = s->peer_aor;
  page.to = s->peer;
  if (method == Method::Info) {
    std::string_view type = request.header(HeaderName::ContentType);
    std::optional<bool> typing = proxy::toLower(type).starts_with(kKeyboardActivityType)
                                     ? parseKeyboardActivity(request.body())
                                     : std::nullopt;
    ctx->router.reply(*ctx, 200, "OK");  // typing is best effort: never hold the endpoint
    if (typing) {
      page.content_type = std::string(kIsComposingType);
      page.body = buildIsComposing(*typing);
      relay_(std::move(page), [](int) {});
    }
    return Verdict::Done;
  }
  if (method != Method::Message) {
    ctx->router.reply(*ctx, 405, "Method Not Allowed",
                      {{"Allow", "MESSAGE, INFO, BYE, INVITE, ACK, OPTIONS"}});
    return Verdict::Done;
  }
  page.content_type = std::string(request.header(HeaderName::ContentType));
  page.body = std::string(request.body());
  relayed.add();
  auto held = std::make_shared<ContextPtr>(std::move(ctx));
  relay_(std::move(page), [held](int status) {
    proxy::routing::RequestContext& c = **held;
    c.router.reply(c, status);  // the standard client's answer (202: stored for it)
  });
  return Verdict::Pause;
}

void Bridge::closeIdle(int64_t now_ms) {
  static auto idle = proxy::counters::get("im.bridge.sessions_idle_closed");
  std::vector<uint64_t> expired;
  for (const auto& [id, s] : sessions_) {
    if (s->established && now_ms - s->last_activity_ms >= idle_timeout_ms_) {
      expired.push_back(id);
    }
  }
  for (uint64_t id : expired) {
    Session& s = *sessions_[id];
    sendInDialog(s, "BYE", {}, {}, {});
    idle.add();
    failSession(id, 481);
  }
}

}  // namespace core::im
