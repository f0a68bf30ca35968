// SPDX-License-Identifier: Apache-2.0
#include "proxy/federation/federation_route_stage.h"

#include "proxy/base/log.h"
#include "proxy/base/strings.h"
#include "proxy/federation/federation_counters.h"
#include "proxy/federation/loop_detection.h"
#include "proxy/routing/shard_router.h"

namespace proxy::federation {
namespace {

// Our side: what the auth stage let through with a local identity, or a
// trusted network. A foreign From got here only in a dialog or from a peer.
bool fromOurSide(const routing::RequestContext& ctx, const FederationEdge& edge) {
  if (!ctx.federated_peer.empty()) {
    return false;
  }
  if (edge.trusted(ctx.flow.remote)) {
    return true;
  }
  std::string_view aor = ctx.authenticated_aor;
  if (!aor.empty()) {
    size_t at = aor.find('@');
    return at != std::string_view::npos && edge.table().isLocal(aor.substr(at + 1));
  }
  const auto& from = ctx.request.from();
  return from && from->uri().isSip() && edge.table().isLocal(from->uri().host());
}

}  // namespace

routing::Verdict FederationRouteStage::rewriteInDialog(routing::RequestContext& ctx) {
  if (!ctx.federated_peer.empty() || !ctx.inDialog()) {
    return routing::Verdict::Continue;
  }
  // In a dialog our party is the From; the other one's domain says where it goes
  // (the Request-URI is a Contact, often an address).
  const auto& from = ctx.request.from();
  const auto& to = ctx.request.to();
  if (!from || !to || !from->uri().isSip() || !to->uri().isSip() ||
      !edge_.table().isLocal(from->uri().host())) {
    return routing::Verdict::Continue;
  }
  std::string domain = toLower(to->uri().host());
  if (edge_.table().policyFor(domain) != Policy::Allowed) {
    return routing::Verdict::Continue;
  }
  for (routing::Target& target : ctx.targets) {
    if (target.filter) {
      continue;
    }
    if (target.flow && target.flow->protocol == transport::Protocol::Tls &&
        target.flow->connection_id == 0 && target.tls_name.empty()) {
      target.tls_name = domain;  // a new connection to the peer must prove its domain
    }
    PeerRewrite how =
        edge_.rewriteFor(domain, target.flow ? target.flow->protocol : transport::Protocol::Tcp);
    target.restore_vias = how.hide_topology;
    target.filter = [how](sip::SipMessage& copy) {
      rewriteForPeer(copy, how);
      return loopViaParams(copy);
    };
  }
  return routing::Verdict::Continue;
}

routing::Verdict FederationRouteStage::onRequest(routing::ContextPtr& ctx) {
  if (ctx->request.method() == sip::Method::Ack) {
    return routing::Verdict::Continue;
  }
  if (!ctx->targets.empty()) {
    return rewriteInDialog(*ctx);
  }
  std::string domain = destinationDomain(ctx->request);
  auto ruri = sip::Uri::parse(ctx->request.requestUri());
  if (domain.empty() || edge_.table().isLocal(domain) || (ruri && edge_.us().isUs(*ruri))) {
    return routing::Verdict::Continue;  // ours: the forward stage answers what is left
  }
  const FederationCounters& c = FederationCounters::get();
  if (!fromOurSide(*ctx, edge_)) {
    c.relay.add();
    ctx->router.reply(*ctx, 403, "Relaying Denied");
    return routing::Verdict::Done;
  }
  switch (edge_.table().policyFor(domain)) {
    case Policy::Allowed:
      break;
    case Policy::Blocked:
      c.blocked.add();
      ctx->router.reply(*ctx, 403, "Domain Blocked");
      return routing::Verdict::Done;
    case Policy::NotFederated:
      c.not_federated.add();
      ctx->router.reply(*ctx, 403, "Domain Not Federated");
      return routing::Verdict::Done;
  }
  // DNS may answer later: the context waits in the callback, which is dropped
  // unrun if the resolver goes first (shutdown); `alive` guards the stage.
  auto box = std::make_shared<routing::ContextPtr>(std::move(ctx));
  FederationEdge* edge = &edge_;
  edge_.findHops(domain, [box, edge, domain, alive = alive_](Result<std::vector<Hop>> hops) {
    if (!*alive || !*box) {
      return;
    }
    routing::ContextPtr ctx = std::move(*box);
    const FederationCounters& c = FederationCounters::get();
    if (!hops || hops->empty()) {
      c.unresolved.add();
      LOG_INFO("federation: no route to %s: %s", domain.c_str(),
               hops ? "no hops" : hops.error().detail.c_str());
      ctx->router.reply(*ctx, 480, "Federation Peer Unreachable");
      return;
    }
    c.routed.add();
    if (hops->size() > 1) {
      c.with_alternates.add();
    }
    ctx->targets.push_back(edge->makeTarget(ctx->request, domain, *hops, ctx->router.shardId()));
    routing::ShardRouter& router = ctx->router;
    router.pipeline().resume(std::move(ctx));
  });
  return routing::Verdict::Pause;
}

}  // namespace proxy::federation
