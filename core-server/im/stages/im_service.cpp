// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/stages/im_service.h"

#include "core-server/im/im_formats.h"
#include "core-server/im/stages/conference_subscribe_stage.h"
#include "proxy/base/clock.h"
#include "proxy/base/counters.h"
#include "proxy/base/log.h"
#include "proxy/base/strings.h"
#include "proxy/routing/overload.h"
#include "proxy/routing/target_resolver.h"
#include "proxy/sip/name_addr.h"

namespace core::im {

using proxy::routing::ContextPtr;
using proxy::routing::Verdict;
using proxy::sip::HeaderName;

namespace {

// Collects the statuses of parallel deliveries: any 2xx wins (RFC 3261 §16.7).
struct FanIn {
  size_t remaining = 0;
  int best = 0;
  StatusCallback done;

  void add(int status) {
    if (best == 0 || (status >= 200 && status < 300 && (best < 200 || best >= 300)) ||
        ((best < 200 || best >= 300) && status < best)) {
      best = status;
    }
    if (--remaining == 0) {
      done(best);
    }
  }
};

}  // namespace

ImService::ImService(proxy::routing::ShardRouter& router,
                     const registrar::LocationService& location,
                     const registrar::UserDirectory& users, std::string realm, OfflineStore& store,
                     ImOptions options, const std::vector<ImService*>& peers)
    : router_(router),
      location_(location),
      users_(users),
      realm_(std::move(realm)),
      options_(options),
      peers_(peers),
      mailbox_(
          store, [&router](std::function<void()> task) { router.shard().post(std::move(task)); },
          options.offline,
          [this](const StoredMessage& m, std::function<void(bool)> done) {
            deliverToBindings(PageMessage::fromStored(m), [done = std::move(done)](int status) {
              // 482 to a redelivery: the endpoint still holds the first attempt's
              // transaction (the same From tag, Call-ID and CSeq; RFC 3261 §8.2.2.2).
              done((status >= 200 && status < 300) || status == 482);
            });
          }),
      bridge_(
          router,
          [this](PageMessage m, StatusCallback done) {
            deliver(std::move(m), /*store_if_offline=*/true, std::move(done));
          },
          options.session_idle_ms),
      mesh_(
          [this](std::string text, std::optional<proxy::transport::Flow> flow,
                 std::function<void(Mesh::Response)> done) {
            sendMeshRequest(std::move(text), std::move(flow), std::move(done));
          },
          [this](PageMessage m, StatusCallback done) {
            deliver(std::move(m), /*store_if_offline=*/false, std::move(done));
          },
          [this](const std::string& conversation, const std::string& aor) {
            onOwner(conversation, [conversation, aor](ImService& owner) {
              owner.focus().onLeft(conversation, aor);
            });
          },
          [&router](const std::optional<proxy::transport::Flow>& flow) {
            return imDialogContact(kMeshUser, flow ? &*flow : nullptr, router.us(),
                                   router.shardId());
          },
          Mesh::Options{router.shardId(), router.config().server_name, 10000}),
      focus_(
          [this](PageMessage m, bool store_if_offline, StatusCallback done) {
            deliver(std::move(m), store_if_offline, std::move(done));
          },
          [this](std::string_view aor) { return isKnownUser(aor); }, options.max_participants),
      flood_(options.flood_max_messages, options.flood_window_ms),
      alive_(std::make_shared<ImService*>(this)) {
  focus_.setNotifySender(conferenceNotifySender(router), router.config().server_name);
  bridge_.on_end = [this](const std::string& peer_aor, const std::string& target_aor) {
    if (isFocusAor(peer_aor)) {  // a session participant of a conversation hung up
      onOwner(peer_aor, [peer_aor, target_aor](ImService& owner) {
        owner.focus().onLeft(peer_aor, target_aor);
      });
    }
  };
}

bool ImService::isKnownUser(std::string_view aor) const {
  const size_t at = aor.find('@');
  return at != std::string_view::npos && users_.lookup(aor, realm_, aor.substr(at + 1)) != nullptr;
}

void ImService::onOwner(std::string_view aor, std::function<void(ImService&)> task) {
  const unsigned owner = router_.ownerOfAor(aor);
  if (owner == router_.shardId() || owner >= peers_.size() || peers_[owner] == nullptr) {
    task(*this);
    return;
  }
  postToPeer(owner, std::move(task));
}

void ImService::postToPeer(unsigned owner, std::function<void(ImService&)> task) {
  const std::vector<ImService*>* peers = &peers_;
  auto run = [peers, owner, task = std::move(task)] {
    if (ImService* peer = (*peers)[owner]) {
      task(*peer);
    }
  };
  if (options_.post_to_shard) {
    options_.post_to_shard(owner, std::move(run));
  } else {
    peers_[owner]->router().shard().post(std::move(run));
  }
}

Verdict ImService::onFocus(ContextPtr& ctx, const std::string& focus_aor) {
  const proxy::sip::SipMessage& request = ctx->request;
  const std::string sender = ctx->senderAor();
  const proxy::sip::Method method = request.method();
  if (method != proxy::sip::Method::Message && method != proxy::sip::Method::Refer) {
    ctx->router.reply(*ctx, 405, "Method Not Allowed", {{"Allow", "MESSAGE, REFER"}});
    return Verdict::Done;
  }
  if (sender.empty()) {
    ctx->router.reply(*ctx, 403, "Unknown Sender");
    return Verdict::Done;
  }
  if (!flood_.allow(sender, proxy::SystemClock::instance().monotonicMs())) {
    ctx->router.reply(*ctx, 503, "Too Many Messages",
                      {{"Retry-After", std::to_string((options_.flood_window_ms + 999) / 1000)}});
    return Verdict::Done;
  }
  int status = 0;
  if (method == proxy::sip::Method::Refer) {
    status = focus_.onRefer(focus_aor, sender, request.header(HeaderName::ReferTo));
  } else if (request.body().size() > options_.max_body_bytes) {
    status = 413;
  } else {
    status =
        focus_.onMessage(focus_aor, sender, std::string(request.header(HeaderName::ContentType)),
                         std::string(request.body()));
  }
  ctx->router.reply(*ctx, status);
  return Verdict::Done;
}

ImService::~ImService() { *alive_ = nullptr; }

Verdict ImService::onPage(ContextPtr& ctx, const std::string& aor) {
  static auto too_big = proxy::counters::get("im.page.too_large");
  const proxy::sip::SipMessage& request = ctx->request;
  const std::string sender = ctx->senderAor();
  if (!flood_.allow(sender, proxy::SystemClock::instance().monotonicMs())) {
    ctx->router.reply(*ctx, 503, "Too Many Messages",
                      {{"Retry-After", std::to_string((options_.flood_window_ms + 999) / 1000)}});
    return Verdict::Done;
  }
  if (request.body().size() > options_.max_body_bytes) {
    too_big.add();
    ctx->router.reply(*ctx, 413, "Message Too Large");
    return Verdict::Done;
  }
  const std::string content_type = proxy::toLower(request.header(HeaderName::ContentType));
  const bool typing = content_type.starts_with(kIsComposingType);
  std::vector<const registrar::Binding*> bindings = location_.lookup(aor);
  bool session_mode = false;
  for (const registrar::Binding* b : bindings) {
    session_mode |= isSessionModeEndpoint(b->user_agent, b->params);
  }
  const bool offline = bindings.empty() || (!typing && mailbox_.hasBacklog(aor));
  if (typing && (bindings.empty() || !session_mode)) {
    return Verdict::Continue;  // typing is never stored; standard endpoints get it relayed
  }
  if (!offline && !session_mode) {
    return Verdict::Continue;  // the plain relay (location + forward stages)
  }
  if (offline && proxy::routing::overload::rejectIfOverloaded(*ctx)) {
    return Verdict::Done;  // storing it would queue one more durable write
  }
  PageMessage m;
  m.from = std::string(request.header(HeaderName::From));
  m.to_aor = aor;
  m.to = withoutTag(request.header(HeaderName::To));
  m.content_type = std::string(request.header(HeaderName::ContentType));
  m.body = std::string(request.body());
  auto held = std::make_shared<ContextPtr>(std::move(ctx));
  StatusCallback reply = [held](int status) {
    proxy::routing::RequestContext& c = **held;
    if (status == 480 && c.request.method() == proxy::sip::Method::Message) {
      c.router.reply(c, 480, "Offline Mailbox Full");
      return;
    }
    c.router.reply(c, status);
  };
  if (offline) {
    storeOffline(std::move(m), std::move(reply));
  } else {
    deliverToBindings(std::move(m), std::move(reply));
  }
  return Verdict::Pause;
}

Verdict ImService::onSessionInvite(ContextPtr& ctx, const std::string& aor) {
  static auto bridged = proxy::counters::get("im.bridge.invites_answered");
  const proxy::sip::SipMessage& request = ctx->request;
  for (const registrar::Binding* b : location_.lookup(aor)) {
    if (isSessionModeEndpoint(b->user_agent, b->params)) {
      return Verdict::Continue;  // session mode on both sides: the plain relay
    }
  }
  auto from = request.from();
  auto contact = proxy::sip::NameAddr::parse(request.header(HeaderName::Contact));
  if (!from || !from->uri().isSip() || from->tag().empty() || !contact) {
    ctx->router.reply(*ctx, 400, "Bad From or Contact");
    return Verdict::Done;
  }
  if (!flood_.allow(from->uri().aor(), proxy::SystemClock::instance().monotonicMs())) {
    ctx->router.reply(*ctx, 503, "Too Many Messages",
                      {{"Retry-After", std::to_string((options_.flood_window_ms + 999) / 1000)}});
    return Verdict::Done;
  }
  Bridge::Incoming in;
  in.call_id = std::string(request.callId());
  in.remote_tag = std::string(from->tag());
  in.remote_target = std::string(contact->uriText());
  in.peer = withoutTag(request.header(HeaderName::To));
  in.peer_aor = aor;
  in.target = withoutTag(request.header(HeaderName::From));
  in.target_aor = from->uri().aor();
  in.flow = ctx->flow;
  std::optional<InlineMessage> first;
  if (std::string_view text = request.header("ms-text-format"); !text.empty()) {
    first = parseMsTextFormat(text);
    if (!first || first->body.size() > options_.max_body_bytes) {
      ctx->router.reply(*ctx, 400, "Bad ms-text-format");
      return Verdict::Done;
    }
  }
  bridged.add();
  auto held = std::make_shared<ContextPtr>(std::move(ctx));
  std::weak_ptr<ImService*> weak = alive_;
  auto answer = [held, weak, in = std::move(in)](int first_status) mutable {
    proxy::routing::RequestContext& c = **held;
    ImService* self = weak.lock() ? *weak.lock() : nullptr;
    const bool taken = first_status >= 200 && first_status < 300;
    if (self == nullptr || (first_status != 0 && !taken)) {
      c.router.reply(c, self == nullptr ? 500 : first_status);  // the first message did not go
      return;
    }
    self->adoptOnOwner(std::move(in), [held, taken](Bridge::Adopted adopted) {
      proxy::routing::RequestContext& c = **held;
      proxy::sip::ResponseBuilder ok(c.request, 200, "OK");
      ok.toTag(adopted.tag)
          .header("Contact", adopted.contact)
          .header("Server", c.router.config().server_name);
      if (taken) {
        ok.header("Supported", "ms-text-format");  // the inline message was delivered
      }
      ok.body("application/sdp", adopted.sdp);
      c.router.replyBytes(c, 200, ok.build());
    });
  };
  if (!first) {
    answer(0);
    return Verdict::Pause;
  }
  PageMessage page;
  page.from = withoutTag(request.header(HeaderName::From));
  page.to_aor = aor;
  page.to = withoutTag(request.header(HeaderName::To));
  page.content_type = std::move(first->content_type);
  page.body = std::move(first->body);
  deliverLocal(std::move(page), /*store_if_offline=*/true, std::move(answer));
  return Verdict::Pause;
}

void ImService::adoptOnOwner(Bridge::Incoming in, std::function<void(Bridge::Adopted)> done) {
  const unsigned owner = router_.ownerOfAor(in.target_aor);
  if (owner == router_.shardId() || owner >= peers_.size() || peers_[owner] == nullptr) {
    done(bridge_.adopt(std::move(in)));
    return;
  }
  proxy::uv::Shard* home = &router_.shard();
  auto payload = std::make_shared<Bridge::Incoming>(std::move(in));
  auto back = std::make_shared<std::function<void(Bridge::Adopted)>>(std::move(done));
  postToPeer(owner, [home, payload, back](ImService& peer) {
    Bridge::Adopted adopted = peer.bridge().adopt(std::move(*payload));
    home->post([back, adopted = std::move(adopted)]() mutable { (*back)(std::move(adopted)); });
  });
}

void ImService::storeOffline(PageMessage m, StatusCallback done) {
  StoredMessage stored;
  stored.recipient = m.to_aor;
  stored.from = std::move(m.from);
  stored.to = std::move(m.to);
  stored.content_type = std::move(m.content_type);
  stored.body = std::move(m.body);
  stored.received_at = proxy::SystemClock::instance().unixSeconds();
  std::weak_ptr<ImService*> weak = alive_;
  auto shared_done = std::make_shared<StatusCallback>(std::move(done));
  Admission admission = mailbox_.store(std::move(stored), [shared_done](bool ok) {
    (*shared_done)(ok ? 202 : 500);  // 202: accepted for later delivery (RFC 3428 §7)
  });
  if (admission != Admission::Accepted) {
    LOG_INFO("im: offline mailbox of %s is full", m.to_aor.c_str());
    (*shared_done)(480);
  }
}

void ImService::deliver(PageMessage m, bool store_if_offline, StatusCallback done) {
  const unsigned owner = router_.ownerOfAor(m.to_aor);
  if (owner == router_.shardId() || owner >= peers_.size() || peers_[owner] == nullptr) {
    deliverLocal(std::move(m), store_if_offline, std::move(done));
    return;
  }
  proxy::uv::Shard* home = &router_.shard();
  auto payload = std::make_shared<PageMessage>(std::move(m));
  auto back = std::make_shared<StatusCallback>(std::move(done));
  postToPeer(owner, [home, payload, store_if_offline, back](ImService& peer) {
    peer.deliverLocal(std::move(*payload), store_if_offline, [home, back](int status) {
      home->post([back, status] { (*back)(status); });
    });
  });
}

void ImService::deliverLocal(PageMessage m, bool store_if_offline, StatusCallback done) {
  if (m.meshOnly()) {
    deliverToBindings(std::move(m), std::move(done));
    return;
  }
  if (service_inbox_ && service_inbox_(m, done)) {
    return;
  }
  if (isFocusAor(m.to_aor)) {  // a session participant writes to its conversation
    auto from = proxy::sip::NameAddr::parse(m.from);
    if (!from || !from->uri().isSip()) {
      done(400);
      return;
    }
    done(focus_.onMessage(m.to_aor, from->uri().aor(), std::move(m.content_type),
                          std::move(m.body)));
    return;
  }
  const bool typing = proxy::toLower(m.content_type).starts_with(kIsComposingType);
  if (store_if_offline && !typing &&
      (location_.lookup(m.to_aor).empty() || mailbox_.hasBacklog(m.to_aor))) {
    storeOffline(std::move(m), std::move(done));
    return;
  }
  deliverToBindings(std::move(m), std::move(done));
}

void ImService::deliverToBindings(PageMessage m, StatusCallback done) {
  std::vector<const registrar::Binding*> bindings = location_.lookup(m.to_aor);
  std::vector<const registrar::Binding*> sessions;
  std::vector<const registrar::Binding*> pages;
  for (const registrar::Binding* b : bindings) {
    (isSessionModeEndpoint(b->user_agent, b->params) ? sessions : pages).push_back(b);
  }
  if (sessions.empty() && pages.empty()) {
    done(480);
    return;
  }
  const bool to_mesh =
      options_.ocs_mesh && !sessions.empty() && m.mesh.kind != MeshEvent::Kind::None;
  if (m.meshOnly()) {
    if (!to_mesh) {
      done(200);  // nothing to tell standard endpoints or a bridged session
      return;
    }
    pages.clear();
  }
  auto fan = std::make_shared<FanIn>();
  fan->remaining = pages.size() + (sessions.empty() ? 0 : 1);
  fan->done = std::move(done);
  for (const registrar::Binding* b : pages) {
    sendPage(m, *b, [fan](int status) { fan->add(status); });
  }
  if (to_mesh) {  // one dialog per member (stages/mesh.h)
    const registrar::Binding& b = *sessions.front();
    mesh_.deliver(m, Mesh::Endpoint{b.contact, b.flow}, [fan](int status) { fan->add(status); });
  } else if (!sessions.empty()) {
    if (!m.notice.empty()) {  // session-mode clients show text, not a roster document
      m.content_type = "text/plain; charset=UTF-8";
      m.body = std::move(m.notice);
    }
    bridge_.sendPage(std::move(m), sessions, [fan](int status) { fan->add(status); });
  }
}

void ImService::sendPage(const PageMessage& m, const registrar::Binding& binding,
                         StatusCallback done) {
  auto request = proxy::sip::SipMessage::parse(
      buildPageRequest(m, binding.contact, router_.config().server_name),
      router_.config().parse_limits);
  if (!request) {
    done(480);
    return;
  }
  // A binding without a flow (a federated or URI contact): the router finds the hop,
  // waiting for DNS if needed; none at all comes back as a 480.
  router_.sendOriginated(std::move(*request), binding.flow,
                         [done = std::move(done)](proxy::sip::SipMessage&& response, bool final) {
                           if (final) {
                             done(response.statusCode());
                           }
                         });
}

void ImService::registrationChanged(std::string_view aor, bool registered) {
  if (registered) {
    mailbox_.kick(aor);
  }
  if (mesh_.legs() == 0) {
    return;
  }
  for (const registrar::Binding* b : location_.lookup(aor)) {
    if (isSessionModeEndpoint(b->user_agent, b->params)) {
      return;
    }
  }
  mesh_.userGone(std::string(aor));  // its last OCS endpoint went: it leaves its chats
}

void ImService::housekeeping(int64_t now_unix, int64_t now_ms) {
  mailbox_.expire(now_unix);
  bridge_.closeIdle(now_ms);
  focus_.expireSubscriptions(now_ms);
  flood_.sweep(now_ms);
  if (now_ms >= next_retry_ms_) {
    next_retry_ms_ = now_ms + options_.retry_interval_ms;
    mailbox_.kickAll();
  }
}

void ImService::sendMeshRequest(std::string text, std::optional<proxy::transport::Flow> flow,
                                std::function<void(Mesh::Response)> done) {
  auto request = proxy::sip::SipMessage::parse(text, router_.config().parse_limits);
  if (request && !flow) {
    flow = router_.nextHopFor(*request);
  }
  if (!request || !flow) {
    if (done) {  // later: the mesh may be in the middle of changing the leg
      router_.shard().post([done = std::move(done)] { done(Mesh::Response{481, {}, {}}); });
    }
    return;
  }
  auto once = std::make_shared<bool>(false);
  router_.transactions().sendRequest(
      std::move(*request), *flow, router_.us().sentBy(flow->protocol),
      [done = std::move(done), once](proxy::sip::SipMessage&& response, bool final) {
        const int status = response.statusCode();
        if (!done || *once || (!final && status < 200)) {
          return;
        }
        *once = true;  // 2xx retransmissions of an INVITE
        Mesh::Response r{status, {}, {}};
        if (auto to = response.to()) {
          r.to_tag = std::string(to->tag());
        }
        if (auto contact = proxy::sip::NameAddr::parse(response.header(HeaderName::Contact))) {
          r.contact = std::string(contact->uriText());
        }
        done(std::move(r));
      });
}

namespace {

void replyMesh(proxy::routing::RequestContext& c, const Mesh::Answer& a) {
  if (a.status == 0) {
    return;
  }
  if (!a.with_sdp) {
    if (a.reason.empty()) {
      c.router.reply(c, a.status);
    } else {
      c.router.reply(c, a.status, a.reason);
    }
    return;
  }
  proxy::sip::ResponseBuilder ok(c.request, a.status, a.reason.empty() ? "OK" : a.reason);
  if (!a.to_tag.empty()) {
    ok.toTag(a.to_tag);
  }
  ok.header("Contact", a.contact)
      .header("Server", c.router.config().server_name)
      .header("Supported", "com.microsoft.rtc-multiparty")
      .body("application/sdp", a.sdp);
  c.router.replyBytes(c, a.status, ok.build());
}

}  // namespace

Verdict ImService::onMeshRequest(ContextPtr& ctx) {
  if (ctx->request.body().size() > options_.max_body_bytes) {
    static auto too_big = proxy::counters::get("im.mesh.too_large");
    too_big.add();
    ctx->router.reply(*ctx, 413, "Message Too Large");
    return Verdict::Done;
  }
  auto held = std::make_shared<ContextPtr>(std::move(ctx));
  mesh_.onInDialog((*held)->request, [held](Mesh::Answer a) { replyMesh(**held, a); });
  return Verdict::Pause;
}

Verdict ImService::onTriggeredInvite(ContextPtr& ctx, const std::string& aor, unsigned mesh_shard) {
  auto held = std::make_shared<ContextPtr>(std::move(ctx));
  if (mesh_shard == router_.shardId() || mesh_shard >= peers_.size() ||
      peers_[mesh_shard] == nullptr) {
    replyMesh(**held, mesh_.onTriggeredInvite((*held)->request, aor));
    return Verdict::Pause;
  }
  proxy::uv::Shard* home = &router_.shard();
  auto request = std::make_shared<proxy::sip::SipMessage>((*held)->request.clone());
  postToPeer(mesh_shard, [home, held, request, aor](ImService& peer) {
    Mesh::Answer a = peer.mesh().onTriggeredInvite(*request, aor);
    home->post([held, a = std::move(a)] { replyMesh(**held, a); });
  });
  return Verdict::Pause;
}

}  // namespace core::im
