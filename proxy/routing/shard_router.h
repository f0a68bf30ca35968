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
  void trace(const char* direction, const transport::Flow& flow, std::string_view bytes) const;

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

  void onRequest(sip::SipMessage&& request, const transport::Flow& flow, std::string_view raw);
  void onResponse(sip::SipMessage&& response, const transport::Flow& flow);
  void processRequest(sip::SipMessage&& request, const transport::Flow& flow);
  void processCancel(transaction::ServerTransaction& cancel_txn, const sip::SipMessage& cancel);
  void forwardStatelessAck(sip::SipMessage&& ack, const transport::Flow& flow);
  void replyStateless(const sip::SipMessage& request, const transport::Flow& flow, int status,
                      std::string_view reason);

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
};

}  // namespace proxy::routing
