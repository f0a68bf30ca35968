// SPDX-License-Identifier: Apache-2.0
#include "proxy/routing/shard_router.h"

#include <charconv>

#include "proxy/base/clock.h"
#include "proxy/base/counters.h"
#include "proxy/base/log.h"
#include "proxy/base/random.h"
#include "proxy/routing/record_route.h"
#include "proxy/routing/routing_counters.h"
#include "proxy/routing/stateless_reply.h"
#include "proxy/routing/target_resolver.h"
#include "proxy/sip/validate.h"

namespace proxy::routing {

// Adapts the process-wide transport to the transaction layer: completions come
// back on this shard (the transport may run them on the socket's shard).
class ShardRouter::Sender final : public transaction::MessageSender {
 public:
  explicit Sender(ShardRouter& router) : router_(router) {}
  void send(const transport::Flow& to, std::string bytes, Done done) override {
    if (router_.outbound_filter_) {
      router_.outbound_filter_(to, bytes);
    }
    router_.trace("send", to, bytes);
    uv::Shard* home = &router_.shard_;
    auto alive = alive_;
    bool reconnect = to.connection_id == 0;  // a URI target, not a registered flow
    transport::SendDone back = [home, alive, done = std::move(done)](bool ok) {
      if (uv::Shard::current() == home) {
        if (*alive) done(ok);
        return;
      }
      home->post([alive, done, ok] {
        if (*alive) done(ok);
      });
    };
    if (reconnect && to.protocol == transport::Protocol::Tls) {
      if (const std::string* name = router_.tlsNameFor(to.remote)) {
        // A federation peer: a connection verified for its domain (RFC 5922).
        router_.transports_.sendTo(to.protocol, to.remote, std::move(bytes), std::move(back),
                                   *name);
        return;
      }
    }
    router_.transports_.send(to, std::move(bytes), std::move(back), reconnect);
  }
  ~Sender() override { *alive_ = false; }

 private:
  ShardRouter& router_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

ShardRouter::ShardRouter(uv::Shard& shard, transport::Transports& transports,
                         const LocalAddresses& us, RoutingConfig config,
                         const std::vector<ShardRouter*>& peers)
    : shard_(shard), transports_(transports), us_(us), config_(std::move(config)), peers_(peers) {
  sender_ = std::make_unique<Sender>(*this);
  transactions_ = std::make_unique<transaction::TransactionLayer>(SystemClock::instance(), *sender_,
                                                                  shard.id(), config_.timers);
  layer_timer_ = std::make_unique<transaction::LayerTimer>(shard.loop(), *transactions_,
                                                           SystemClock::instance());
  proxy_ = std::make_unique<ForkingProxy>(*this);
}

ShardRouter::~ShardRouter() {
  *alive_ = false;
  proxy_.reset();  // detaches its client transactions before the layer goes
  layer_timer_.reset();
  transactions_.reset();
}

void ShardRouter::trace(const char* direction, const transport::Flow& flow,
                        std::string_view bytes) const {
  if (config_.trace_sip) {
    LOG_INFO("%s %s %s (%zu bytes)\n%.*s", direction,
             std::string(transport::protocolName(flow.protocol)).c_str(),
             flow.remote.toString().c_str(), bytes.size(), static_cast<int>(bytes.size()),
             bytes.data());
  }
}

void ShardRouter::onInbound(transport::Inbound&& in) {
  trace("recv", in.flow, std::string_view(in.bytes.get(), in.size));
  auto parsed = sip::SipMessage::parseKeepingOnError(in.bytes, in.size, config_.parse_limits);
  if (!parsed) {
    const Error& error = parsed.error();
    std::string_view raw(in.bytes.get(), in.size);
    auto reply =
        error.status == 0 ? std::nullopt : buildReplyFromRaw(raw, error.status, error.detail);
    if (reply) {
      RoutingCounters::get().parse_errors_answered.add();
      sendRaw(in.flow, std::move(*reply));
    } else {
      RoutingCounters::get().parse_errors_dropped.add();
    }
    LOG_DEBUG("unparsable message from %s: %d %s", in.flow.remote.toString().c_str(), error.status,
              error.detail.c_str());
    return;
  }
  if (parsed->isResponse()) {
    onResponse(std::move(*parsed), in.flow);
  } else {
    onRequest(std::move(*parsed), in.flow, std::move(in.tls_peer_names));
  }
}

void ShardRouter::sendRaw(const transport::Flow& flow, std::string bytes) {
  if (outbound_filter_) {
    outbound_filter_(flow, bytes);
  }
  trace("send", flow, bytes);
  transports_.send(flow, std::move(bytes), {}, flow.connection_id == 0);
}

void ShardRouter::replyStateless(const sip::SipMessage& request, const transport::Flow& flow,
                                 int status, std::string_view reason) {
  if (request.method() == sip::Method::Ack) {
    return;  // RFC 3261 §17: an ACK is never answered
  }
  sip::ResponseBuilder builder(request, status, reason);
  builder.toTag(randomToken(10)).header("Server", config_.server_name);
  sendRaw(flow, builder.build());
}

void ShardRouter::onRequest(sip::SipMessage&& request, const transport::Flow& flow,
                            std::shared_ptr<const std::vector<std::string>> tls_peer_names) {
  RoutingCounters::get().countRequest(request.method());
  if (auto valid = sip::validateRequest(request); !valid) {
    RoutingCounters::get().invalid_requests.add();
    replyStateless(request, flow, valid.error().status, valid.error().detail);
    return;
  }
  if (stateless_responder_ && stateless_responder_(request, flow)) {
    return;
  }
  unsigned owner = ownerOf(request);
  if (owner == shard_.id()) {
    processRequest(std::move(request), flow, std::move(tls_peer_names));
    return;
  }
  // std::function needs a copyable callable: the message travels in a box.
  auto box = std::make_shared<sip::SipMessage>(std::move(request));
  onPeer(owner, [box, flow, names = std::move(tls_peer_names)](ShardRouter& target) {
    target.processRequest(std::move(*box), flow, names);
  });
}

void ShardRouter::onResponse(sip::SipMessage&& response, const transport::Flow& flow) {
  RoutingCounters::get().countResponse(response.statusCode());
  if (!sip::validateResponse(response)) {
    RoutingCounters::get().invalid_responses.add();
    return;
  }
  const auto& via = response.topVia();
  std::optional<unsigned> owner =
      via ? transaction::TransactionLayer::shardOfBranch(via->branch()) : std::nullopt;
  if (!owner || *owner >= peers_.size()) {
    RoutingCounters::get().stray_responses.add();  // not ours: we forward statefully only
    return;
  }
  if (*owner == shard_.id()) {
    transactions_->receiveResponse(std::move(response), flow);
    return;
  }
  auto box = std::make_shared<sip::SipMessage>(std::move(response));
  onPeer(*owner, [box, flow](ShardRouter& target) {
    target.transactions_->receiveResponse(std::move(*box), flow);
  });
}

void ShardRouter::onPeer(unsigned owner, std::function<void(ShardRouter&)> task) {
  if (!post_to_shard_) {
    ShardRouter* target = peers_[owner];
    target->shard_.post([target, task = std::move(task)] { task(*target); });
    return;
  }
  const std::vector<ShardRouter*>* peers = &peers_;
  post_to_shard_(owner, [peers, owner, task = std::move(task)] {
    if (ShardRouter* target = (*peers)[owner]) {
      task(*target);
    }
  });
}

unsigned ShardRouter::ownerOfAor(std::string_view aor) const {
  return static_cast<unsigned>(uv::stableHash(aor) % peers_.size());
}

std::optional<unsigned> ShardRouter::dialogShardOf(const sip::Uri& uri) const {
  const sip::Param* sh = uri.param(kShardParam);
  if (sh == nullptr || !us_.isUs(uri)) {
    return std::nullopt;
  }
  unsigned shard = 0;
  auto [end, ec] = std::from_chars(sh->value.data(), sh->value.data() + sh->value.size(), shard);
  if (ec != std::errc() || end != sh->value.data() + sh->value.size() || shard >= peers_.size()) {
    return std::nullopt;  // forged or from an earlier run with more workers
  }
  return shard;
}

unsigned ShardRouter::ownerOf(const sip::SipMessage& request) const {
  if (peers_.size() <= 1) {
    return 0;
  }
  auto shardOf = [this](std::string_view key) { return ownerOfAor(key); };
  if (request.method() == sip::Method::Register) {
    if (const auto& to = request.to(); to && to->uri().isSip()) {
      return shardOf(to->uri().aor());
    }
    return shardOf(request.callId());
  }
  // ACK and CANCEL copy the Request-URI of what they refer to, so they land on
  // the same shard as it did (RFC 3261 §9.1, §17.1.1.3).
  auto uri = sip::Uri::parse(request.requestUri());
  if (uri && uri->isSip()) {
    if (!uri->user().empty() && us_.isLocalDomain(uri->host())) {
      return shardOf(uri->aor());
    }
    if (auto shard = dialogShardOf(*uri)) {
      return *shard;
    }
  }
  return shardOf(request.callId());
}

void ShardRouter::processRequest(sip::SipMessage&& request, const transport::Flow& flow,
                                 std::shared_ptr<const std::vector<std::string>> tls_peer_names) {
  bool absorbed = false;
  transaction::ServerTransaction* txn = transactions_->receiveRequest(request, flow, absorbed);
  if (txn == nullptr) {
    if (!absorbed && request.method() == sip::Method::Ack) {
      forwardStatelessAck(std::move(request), flow);
    }
    return;
  }
  if (request.method() == sip::Method::Cancel) {
    processCancel(*txn, request);
    return;
  }
  auto ctx = std::make_unique<RequestContext>(std::move(request), flow, *this);
  ctx->txn = txn->id();
  ctx->tls_peer_names = std::move(tls_peer_names);
  pipeline_.run(std::move(ctx));
}

void ShardRouter::processCancel(transaction::ServerTransaction& cancel_txn,
                                const sip::SipMessage& cancel) {
  transaction::ServerTransaction* invite = transactions_->findInviteServerTransaction(cancel);
  int status = (invite != nullptr && proxy_->cancel(invite->id())) ? 200 : 481;
  sip::ResponseBuilder builder(cancel, status, "");
  builder.toTag(randomToken(10)).header("Server", config_.server_name);
  cancel_txn.respond(status, builder.build());  // RFC 3261 §16.10
}

void ShardRouter::forwardStatelessAck(sip::SipMessage&& ack, const transport::Flow& flow) {
  // A 2xx ACK (RFC 3261 §13.2.2.4) travels the route set; we relay it only when it
  // came back through a Record-Route we signed, from a participant of that dialog.
  std::optional<OwnRoute> first_own;
  while (ack.has(sip::HeaderName::Route)) {
    auto own = parseOwnRoute(ack.header(sip::HeaderName::Route), us_);
    if (!own) {
      break;
    }
    if (!first_own) {
      first_own = std::move(own);
    }
    ack.removeFirst(sip::HeaderName::Route);
  }
  DialogHop hop = first_own ? otherSide(flow, *first_own) : DialogHop{};
  std::optional<transport::Flow> next = hop.flow;
  if (hop.from_participant && (!next || ack.has(sip::HeaderName::Route))) {
    next = nextHopFor(ack);
  }
  if (!hop.from_participant || !next) {
    RoutingCounters::get().unroutable_acks.add();
    return;
  }
  if (auto hops = ack.maxForwards(); hops && *hops == 0) {
    return;  // RFC 3261 §16.3 step 3; an ACK gets no answer
  }
  std::string sent_by = us_.sentBy(next->protocol);
  transactions_->sendRequest(std::move(ack), *next, sent_by, {});
}

std::optional<transport::Flow> ShardRouter::nextHopFor(const sip::SipMessage& request) const {
  if (auto flow = resolveNextHop(request, us_)) {
    return flow;
  }
  return domain_resolver_ ? domain_resolver_(request) : std::nullopt;
}

void ShardRouter::nextHopWhenKnown(const sip::SipMessage& request, HopDone done) {
  if (auto flow = resolveNextHop(request, us_)) {
    done(std::move(flow));
  } else if (domain_waiter_) {
    domain_waiter_(request, std::move(done));
  } else {
    done(domain_resolver_ ? domain_resolver_(request) : std::nullopt);
  }
}

void ShardRouter::sendOriginated(sip::SipMessage&& request, std::optional<transport::Flow> flow,
                                 transaction::ResponseHandler on_response) {
  if (flow) {  // the common case (a dialog's flow): nothing to keep
    transactions_->sendRequest(std::move(request), *flow, us_.sentBy(flow->protocol),
                               std::move(on_response));
    return;
  }
  // Shared: the hop may come later, and a std::function must be copyable.
  auto kept = std::make_shared<sip::SipMessage>(std::move(request));
  auto send = [this, kept, alive = alive_,
               on_response = std::move(on_response)](std::optional<transport::Flow> hop) {
    if (!*alive) {
      return;
    }
    if (hop) {
      transactions_->sendRequest(std::move(*kept), *hop, us_.sentBy(hop->protocol), on_response);
      return;
    }
    // No hop: whoever could not find one (the federation edge) logged and counted it.
    auto reply = sip::SipMessage::parse(sip::ResponseBuilder(*kept, 480, "").build());
    if (!reply) {
      return;
    }
    auto response = std::make_shared<sip::SipMessage>(std::move(*reply));
    shard_.post([alive, response, on_response] {
      if (*alive) {
        on_response(std::move(*response), true);
      }
    });
  };
  nextHopWhenKnown(*kept, std::move(send));
}

void ShardRouter::rememberTlsName(const transport::Address& remote, std::string tls_name) {
  constexpr size_t kMaxNames = 4096;  // peers' addresses; a flood of DNS answers cannot grow it
  if (tls_names_.size() >= kMaxNames && tls_names_.find(remote) == tls_names_.end()) {
    tls_names_.clear();  // rebuilt by the next requests to each peer
  }
  tls_names_[remote] = std::move(tls_name);
}

const std::string* ShardRouter::tlsNameFor(const transport::Address& remote) const {
  auto it = tls_names_.find(remote);
  return it == tls_names_.end() ? nullptr : &it->second;
}

void ShardRouter::reply(RequestContext& ctx, int status, std::string_view reason,
                        const HeaderList& headers) {
  sip::ResponseBuilder builder(ctx.request, status, reason);
  if (status >= 200) {
    builder.toTag(randomToken(10));
  }
  builder.header("Server", config_.server_name);
  for (const auto& [name, value] : headers) {
    builder.header(name, value);
  }
  replyBytes(ctx, status, builder.build());
}

void ShardRouter::replyBytes(RequestContext& ctx, int status, std::string bytes) {
  RoutingCounters::get().countReply(status);
  if (!transactions_->respond(ctx.txn, status, std::move(bytes))) {
    RoutingCounters::get().late_replies.add();
  }
}

}  // namespace proxy::routing
