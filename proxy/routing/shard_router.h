// SPDX-License-Identifier: Apache-2.0
// The SIP core of one shard. Messages arrive from the transport on the shard
// that owns their socket (onInbound): they are parsed there, malformed ones are
// answered statelessly, and each request hops once to the shard that owns it
// (the target AOR's shard for requests to our domains, the To AOR's for
// REGISTER, else the Call-ID's) where its transaction and pipeline run.
// Responses go to the shard encoded in our Via branch. Everything else in this
// object is touched only on its own shard's thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "proxy/routing/forking_proxy.h"
#include "proxy/routing/local_addresses.h"
#include "proxy/routing/pipeline.h"
#include "proxy/sip/sip_message.h"
#include "proxy/transaction/layer_timer.h"
#include "proxy/transaction/transaction_layer.h"
#include "proxy/transport/transport.h"
#include "proxy/uv/shard.h"

namespace proxy::routing {

struct RoutingConfig {
  uint32_t max_forwards = 70;  // put on forwarded requests that have none
  bool trace_sip = false;      // log every message in and out
  sip::ParseLimits parse_limits;
  transaction::TimerConfig timers;
  std::string server_name = "Confab";  // Server / User-Agent header value
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

class ShardRouter {
 public:
  // `peers` holds every shard's router, indexed by shard id; it is complete
  // before any shard receives traffic and never changes afterwards.
  ShardRouter(uv::Shard& shard, transport::Transports& transports, const LocalAddresses& us,
              RoutingConfig config, const std::vector<ShardRouter*>& peers);
  ~ShardRouter();
  ShardRouter(const ShardRouter&) = delete;
  ShardRouter& operator=(const ShardRouter&) = delete;

  // The transport's handler, on the arrival shard.
  void onInbound(transport::Inbound&& in);

  // Answers the request of `ctx` through its server transaction. Adds a To tag
  // to final responses and a Server header.
  void reply(RequestContext& ctx, int status, std::string_view reason = {},
             const HeaderList& headers = {});
  void replyBytes(RequestContext& ctx, int status, std::string bytes);

  // Sends bytes on a flow (tracing them); UDP/unknown-connection flows reconnect.
  void sendRaw(const transport::Flow& flow, std::string bytes);

  // Sees, and may rewrite, every message this shard sends just before it goes
  // out: NTLM clients need everything signed ([MS-SIPAE]). Unset: none.
  using OutboundFilter = std::function<void(const transport::Flow& flow, std::string& bytes)>;
  void setOutboundFilter(OutboundFilter filter) { outbound_filter_ = std::move(filter); }
  // How a message hops to another shard: through something that outlives every
  // router (the server's shard set), with the target router looked up in `peers`
  // on its own thread when the task runs, since at shutdown it may be gone (its
  // slot is then null). Unset (tests): straight through the peer's router.
  using ShardPoster = std::function<void(unsigned shard, std::function<void()> task)>;
  void setShardPoster(ShardPoster post) { post_to_shard_ = std::move(post); }
  // Answers a valid request on its arrival shard, with no server transaction and
  // no hop, when it returns true: the registrar's digest challenge (a stateless
  // UAS, RFC 3261 §8.2.7; a retransmission just gets another answer). It sends
  // with sendRaw(). Unset: every request takes the full path.
  using StatelessResponder =
      std::function<bool(const sip::SipMessage& request, const transport::Flow& flow)>;
  void setStatelessResponder(StatelessResponder responder) {
    stateless_responder_ = std::move(responder);
  }
  void trace(const char* direction, const transport::Flow& flow, std::string_view bytes) const;

  // The next hop of a request this server sends or forwards: resolveNextHop()
  // (IP literals), else the domain resolver (federation: a peer's configured hop
  // or a cached DNS answer). Services that originate requests use this.
  using DomainResolver = std::function<std::optional<transport::Flow>(const sip::SipMessage&)>;
  void setDomainResolver(DomainResolver resolver) { domain_resolver_ = std::move(resolver); }
  std::optional<transport::Flow> nextHopFor(const sip::SipMessage& request) const;
  // nextHopFor(), but where the domain resolver would need a DNS answer not
  // cached yet, the domain waiter (federation: bounded in count and time) waits
  // for it. `done` gets the hop or nullopt, perhaps before this returns.
  using HopDone = std::function<void(std::optional<transport::Flow>)>;
  using DomainWaiter = std::function<void(const sip::SipMessage&, HopDone)>;
  void setDomainWaiter(DomainWaiter waiter) { domain_waiter_ = std::move(waiter); }
  void nextHopWhenKnown(const sip::SipMessage& request, HopDone done);
  // Sends a request this server originates (a NOTIFY, a MESSAGE) through a client
  // transaction: on `flow` when given, else on nextHopWhenKnown()'s hop, so the
  // first request to a peer whose DNS answer is not cached yet waits for it.
  // Every response reaches `on_response`; without a hop, a synthetic 480 final
  // (no To tag), from a later loop turn as the transaction layer's own are.
  void sendOriginated(sip::SipMessage&& request, std::optional<transport::Flow> flow,
                      transaction::ResponseHandler on_response);

  // TLS connections we open to `remote` must verify that the peer's certificate
  // names `tls_name` (RFC 5922); the sender consults this for flows without a
  // connection. Bounded; shard thread only.
  void rememberTlsName(const transport::Address& remote, std::string tls_name);
  const std::string* tlsNameFor(const transport::Address& remote) const;

  Pipeline& pipeline() { return pipeline_; }
  ForkingProxy& proxy() { return *proxy_; }
  transaction::TransactionLayer& transactions() { return *transactions_; }
  const LocalAddresses& us() const { return us_; }
  const RoutingConfig& config() const { return config_; }
  uv::Shard& shard() { return shard_; }
  unsigned shardId() const { return shard_.id(); }

  // Which shard owns a request (see the header comment), or an AOR's state.
  unsigned ownerOf(const sip::SipMessage& request) const;
  unsigned ownerOfAor(std::string_view aor) const;

  // Dialogs this server terminates (subscriptions, IM and chat sessions) keep
  // their state on one shard. Our Contact for them carries `sh=<shard>` so that
  // in-dialog requests, whose Request-URI is that Contact, run on that shard.
  static constexpr std::string_view kShardParam = "sh";
  // The shard named by `uri` when it points at us and carries a valid `sh`.
  std::optional<unsigned> dialogShardOf(const sip::Uri& uri) const;

 private:
  class Sender;  // transaction::MessageSender over transport::Transports

  void onRequest(sip::SipMessage&& request, const transport::Flow& flow,
                 std::shared_ptr<const std::vector<std::string>> tls_peer_names);
  void onResponse(sip::SipMessage&& response, const transport::Flow& flow);
  void processRequest(sip::SipMessage&& request, const transport::Flow& flow,
                      std::shared_ptr<const std::vector<std::string>> tls_peer_names);
  void processCancel(transaction::ServerTransaction& cancel_txn, const sip::SipMessage& cancel);
  void forwardStatelessAck(sip::SipMessage&& ack, const transport::Flow& flow);
  void replyStateless(const sip::SipMessage& request, const transport::Flow& flow, int status,
                      std::string_view reason);
  // Runs `task` with shard `owner`'s router on that shard's thread, if it still exists.
  void onPeer(unsigned owner, std::function<void(ShardRouter&)> task);

  uv::Shard& shard_;
  transport::Transports& transports_;
  const LocalAddresses& us_;
  RoutingConfig config_;
  const std::vector<ShardRouter*>& peers_;
  std::unique_ptr<Sender> sender_;
  std::unique_ptr<transaction::TransactionLayer> transactions_;
  std::unique_ptr<transaction::LayerTimer> layer_timer_;
  std::unique_ptr<ForkingProxy> proxy_;
  Pipeline pipeline_;
  OutboundFilter outbound_filter_;
  ShardPoster post_to_shard_;
  StatelessResponder stateless_responder_;
  DomainResolver domain_resolver_;
  DomainWaiter domain_waiter_;
  std::unordered_map<transport::Address, std::string, transport::AddressHash> tls_names_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for sendOriginated's deferrals
};

}  // namespace proxy::routing
