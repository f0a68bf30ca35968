// SPDX-License-Identifier: Apache-2.0
// Requests from other domains, checked at the edge before authentication. The
// peer a request comes from is decided by its flow (a verified TLS certificate
// or a listed source address; see peer_table.h), never by what it claims:
//  - a Via of ours with this request's loop hash: 482 (loop_detection.h);
//  - from a peer flow, a From (or P-Asserted-Identity) outside the peer's domain,
//    ours included: 403 "Identity Not In Peer Domain", logged, counted (spoofed);
//  - a foreign From on no peer flow (out of dialog, untrusted source): 403
//    (unverified); a peer with require_tls over plain TCP/UDP, or with mutual_tls
//    without a certificate: 403 (unverified);
//  - out of dialog, a Request-URI not in our domains: 403 "Relaying Denied";
//  - beyond the peer's rate: 503 + Retry-After (flood).
// An accepted request carries federated_peer and the From AOR as its identity,
// so the auth stage lets it through and later stages apply the federated
// policy; responses relayed back to the peer get its rewrite (topology.h).
// A Request-URI made by our Contact encoding is decoded here first.
#pragma once

#include "proxy/federation/federation_edge.h"
#include "proxy/routing/stage.h"

namespace proxy::federation {

class FederationInboundStage final : public routing::Stage {
 public:
  explicit FederationInboundStage(FederationEdge& edge) : edge_(edge) {}
  std::string_view name() const override {
    return "federation-inbound: verify peers, no spoofing, no relay";
  }
  routing::Verdict onRequest(routing::ContextPtr& ctx) override;

 private:
  FederationEdge& edge_;
};

}  // namespace proxy::federation
