// SPDX-License-Identifier: Apache-2.0
// One shard's federation edge: the peer table, the hop resolver (DNS on this
// shard's loop), the per-peer rate limiter and the rules every federation
// decision shares. The two stages (inbound verification, outbound route) and
// the router's domain resolver for requests our services originate use it.
// Shard thread only.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/counters.h"
#include "proxy/federation/hop_resolver.h"
#include "proxy/federation/peer_table.h"
#include "proxy/federation/token_bucket.h"
#include "proxy/federation/topology.h"
#include "proxy/routing/local_addresses.h"
#include "proxy/routing/request_context.h"
#include "proxy/sip/sip_message.h"

namespace proxy::routing {
class ShardRouter;
}

namespace proxy::federation {

struct EdgeOptions {
  std::string realm;  // our digest realm: credentials for it never leave
  std::function<bool(const transport::Address&)> is_trusted;  // auth.trusted_networks
  std::function<int64_t()> now_ms;                            // monotonic; rate limits
};

// What an inbound request looks like to the edge, decided from the flow alone.
struct InboundDecision {
  int status = 0;  // 0: go on; else the rejection
  std::string reason;
  const counters::Counter* counter = nullptr;
  std::optional<PeerIdentity> peer;  // the peer the flow proves (also on rejections, for logs)
  std::string claimed;               // the From domain, for logs
};

// Inbound rules (see federation_inbound_stage.h); pure, for tests.
InboundDecision judgeInbound(const PeerTable& table, const routing::LocalAddresses& us,
                             const sip::SipMessage& request, const transport::Flow& flow,
                             const std::vector<std::string>* tls_names, bool in_dialog,
                             bool trusted);

// The domain a request leaving us is bound for: the host of the first Route
// left after ours were popped, else of the Request-URI; "" when not a SIP URI.
std::string destinationDomain(const sip::SipMessage& request);

class FederationEdge {
 public:
  FederationEdge(const config::Config& config, const routing::LocalAddresses& us,
                 std::unique_ptr<HopResolver> resolver, EdgeOptions options);

  const PeerTable& table() const { return table_; }
  const routing::LocalAddresses& us() const { return us_; }
  const EdgeOptions& options() const { return options_; }
  PeerLimiter& limiter() { return limiter_; }
  bool trusted(const transport::Address& a) const {
    return options_.is_trusted && options_.is_trusted(a);
  }

  // The ordered hops for `domain`: its peer's next_hops (each resolved), else
  // RFC 3263 discovery. `done` may run before this returns.
  void findHops(const std::string& domain, dns::LocateDone done);

  // A target for the Request-URI of `request` over `hops` (at most kMaxHops),
  // with the peer's rewrite and our loop hash on the copy that leaves.
  routing::Target makeTarget(const sip::SipMessage& request, const std::string& domain,
                             const std::vector<Hop>& hops, unsigned shard) const;
  // The rewrite of a message leaving for the peer `domain` over `protocol`.
  PeerRewrite rewriteFor(std::string_view domain, transport::Protocol protocol) const;

  // For ShardRouter::setDomainResolver: a request our services originate towards
  // a federated domain (that of its first Route or Request-URI, or of its To)
  // goes to the peer's literal next hop or to a cached DNS answer; without
  // either a lookup starts (for next time) and this is nullopt.
  std::optional<transport::Flow> nextHopFor(const sip::SipMessage& request,
                                            routing::ShardRouter& router);

  static constexpr size_t kMaxHops = 4;  // failover is bounded

 private:
  const config::Config& config_;
  const routing::LocalAddresses& us_;
  PeerTable table_;
  std::unique_ptr<HopResolver> resolver_;
  EdgeOptions options_;
  PeerLimiter limiter_;
};

}  // namespace proxy::federation
