// SPDX-License-Identifier: Apache-2.0
// One shard's federation edge: the peer table, the hop resolver (DNS on this
// shard's loop), the per-peer rate limiter (shared by all shards) and the
// rules every federation decision shares. The two stages (inbound verification, outbound route) and
// the router's domain resolver for requests our services originate use it.
// Shard thread only.
#pragma once

#include <functional>
#include <map>
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
#include "proxy/uv/timer.h"

namespace proxy::routing {
class ShardRouter;
}

namespace proxy::federation {

struct EdgeOptions {
  std::string realm;  // our digest realm: credentials for it never leave
  std::function<bool(const transport::Address&)> is_trusted;  // auth.trusted_networks
  std::function<int64_t()> now_ms;                            // monotonic; rate limits
  // The per-peer rate limits, shared by every shard's edge; null: the one
  // shared by the edges built from the same config (PeerLimiter::sharedFor).
  std::shared_ptr<PeerLimiter> limiter;
  // How long a request our services send waits for a DNS answer (nextHopWhenKnown):
  // two DNS timeouts (federation.dns.timeout_ms, 2 s by default). A NOTIFY or
  // MESSAGE that waits longer is better failed, which its sender handles.
  uint32_t hop_wait_ms = 4000;
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
  ~FederationEdge();
  FederationEdge(const FederationEdge&) = delete;
  FederationEdge& operator=(const FederationEdge&) = delete;

  const PeerTable& table() const { return table_; }
  const routing::LocalAddresses& us() const { return us_; }
  const EdgeOptions& options() const { return options_; }
  PeerLimiter& limiter() { return *limiter_; }
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
  // For ShardRouter::setDomainWaiter: nextHopFor(), but a DNS answer not cached
  // yet is waited for. `done` gets the hop when the lookup answers, or nullopt
  // (logged, counted) when the domain is not federated, the lookup fails, it
  // takes longer than EdgeOptions::hop_wait_ms, or kMaxWaiting requests wait
  // already. It may run before this returns; never after the edge is gone.
  using HopDone = std::function<void(std::optional<transport::Flow>)>;
  void nextHopWhenKnown(const sip::SipMessage& request, routing::ShardRouter& router, HopDone done);
  size_t waiting() const { return waiting_.size(); }
  static constexpr size_t kMaxWaiting = 1000;  // requests of this shard waiting for DNS

  static constexpr size_t kMaxHops = 4;  // failover is bounded

 private:
  // nextHopFor() without the lookup: the hop, or the domain to look up ("" for
  // none: not federated).
  struct HopChoice {
    std::optional<transport::Flow> flow;
    std::string lookup;
  };
  HopChoice chooseHop(const sip::SipMessage& request, routing::ShardRouter& router);
  void finishWaiting(uint64_t id, Result<std::vector<Hop>> hops, routing::ShardRouter& router);
  void expireWaiting(uv_loop_t& loop);

  struct Waiter {
    uint64_t deadline_ms;  // on the loop's clock (uv_now)
    std::string domain;
    HopDone done;
  };

  const config::Config& config_;
  const routing::LocalAddresses& us_;
  PeerTable table_;
  std::unique_ptr<HopResolver> resolver_;
  EdgeOptions options_;
  std::shared_ptr<PeerLimiter> limiter_;  // never null
  // Waiting requests by arrival, which is also deadline order: one timer for
  // the first. Dropped unrun with the edge (at shutdown, after the router).
  std::map<uint64_t, Waiter> waiting_;
  uint64_t next_waiter_ = 1;
  std::unique_ptr<uv::Timer> wait_timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace proxy::federation
