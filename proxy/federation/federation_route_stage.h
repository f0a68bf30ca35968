// SPDX-License-Identifier: Apache-2.0
// Requests leaving for another domain (after the location stage, before the
// forward stage). With no target yet and a Request-URI (or remaining Route)
// in a foreign domain, the request leaves only when it comes from our side:
// an authenticated local user, a local From that passed the auth stage, or a
// trusted network; never a peer's request (no open relay: 403). Policy: a
// blocked domain, or under the closed policy an unlisted one, gets 403. The
// hops come from the peer's next_hops or RFC 3263 discovery (the pipeline
// pauses while DNS runs); the target carries them for failover, with the
// peer's rewrite (topology hiding, dialect) and our loop hash. In-dialog
// requests towards a peer (routed by our Record-Route) get the same rewrite.
#pragma once

#include <memory>

#include "proxy/federation/federation_edge.h"
#include "proxy/routing/stage.h"

namespace proxy::federation {

class FederationRouteStage final : public routing::Stage {
 public:
  explicit FederationRouteStage(FederationEdge& edge) : edge_(edge) {}
  ~FederationRouteStage() override { *alive_ = false; }
  std::string_view name() const override { return "federation-route: out to other domains"; }
  routing::Verdict onRequest(routing::ContextPtr& ctx) override;

 private:
  routing::Verdict rewriteInDialog(routing::RequestContext& ctx);

  FederationEdge& edge_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace proxy::federation
