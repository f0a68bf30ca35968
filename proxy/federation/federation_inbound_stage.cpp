// SPDX-License-Identifier: Apache-2.0
#include "proxy/federation/federation_inbound_stage.h"

#include "proxy/base/log.h"
#include "proxy/federation/federation_counters.h"
#include "proxy/routing/shard_router.h"

namespace proxy::federation {
namespace {

// A Request-URI we encoded into a Contact (topology.h) is the original again;
// targets the loose-route stage aimed at it follow.
void decodeRequestUri(routing::RequestContext& ctx, const routing::LocalAddresses& us) {
  auto uri = sip::Uri::parse(ctx.request.requestUri());
  if (!uri) {
    return;
  }
  auto original = decodeContactUri(*uri, us);
  if (!original) {
    return;
  }
  std::string encoded(ctx.request.requestUri());
  for (routing::Target& target : ctx.targets) {
    if (target.uri == encoded) {
      target.uri = *original;
    }
  }
  ctx.request.setRequestUri(std::move(*original));
}

}  // namespace

routing::Verdict FederationInboundStage::onRequest(routing::ContextPtr& ctx) {
  if (ctx->request.method() == sip::Method::Ack) {
    return routing::Verdict::Continue;
  }
  decodeRequestUri(*ctx, edge_.us());
  InboundDecision decision =
      judgeInbound(edge_.table(), edge_.us(), ctx->request, ctx->flow, ctx->tls_peer_names.get(),
                   ctx->inDialog(), edge_.trusted(ctx->flow.remote));
  if (decision.status != 0) {
    decision.counter->add();
    if (decision.status == 403) {
      LOG_WARN("federation: %s from %s %s (claimed %s, peer %s)", decision.reason.c_str(),
               std::string(transport::protocolName(ctx->flow.protocol)).c_str(),
               ctx->flow.remote.toString().c_str(), decision.claimed.c_str(),
               decision.peer ? decision.peer->domain.c_str() : "none");
    }
    ctx->router.reply(*ctx, decision.status, decision.reason);
    return routing::Verdict::Done;
  }
  if (!decision.peer) {
    return routing::Verdict::Continue;  // our own side
  }
  const PeerIdentity& peer = *decision.peer;
  const int64_t now = edge_.options().now_ms ? edge_.options().now_ms() : 0;
  if (!edge_.limiter().allow(peer.domain, edge_.table().rateFor(peer.domain), now)) {
    FederationCounters::get().flood.add();
    ctx->router.reply(*ctx, 503, "Peer Rate Exceeded", {{"Retry-After", "1"}});
    return routing::Verdict::Done;
  }
  FederationCounters::get().accepted.add();
  ctx->federated_peer = peer.domain;
  if (ctx->authenticated_aor.empty()) {
    ctx->authenticated_aor = ctx->request.from()->uri().aor();
  }
  PeerRewrite how = edge_.rewriteFor(peer.domain, ctx->flow.protocol);
  ctx->upstream_filter = [how](sip::SipMessage& response) { rewriteForPeer(response, how); };
  return routing::Verdict::Continue;
}

}  // namespace proxy::federation
