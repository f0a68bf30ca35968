// SPDX-License-Identifier: Apache-2.0
#include "proxy/routing/stages/loose_route_stage.h"

#include "proxy/routing/record_route.h"
#include "proxy/routing/routing_counters.h"
#include "proxy/routing/shard_router.h"

namespace proxy::routing {

Verdict LooseRouteStage::onRequest(ContextPtr& ctx) {
  sip::SipMessage& request = ctx->request;
  std::optional<OwnRoute> first_own;
  while (request.has(sip::HeaderName::Route)) {
    auto own = parseOwnRoute(request.header(sip::HeaderName::Route), ctx->router.us());
    if (!own) {
      break;
    }
    if (!first_own) {
      first_own = std::move(own);
    }
    request.removeFirst(sip::HeaderName::Route);
  }
  const bool recorded =
      first_own && (!first_own->caller_token.empty() || !first_own->callee_token.empty());
  if (!recorded || !ctx->inDialog()) {
    // Out of dialog, a Route naming us only made us the outbound proxy (RFC 3261
    // §8.1.2): local services, authentication and location decide as usual. So
    // does a plain outbound-proxy Route in a dialog we did not record, such as one
    // Confab terminates (a subscription): its stage knows the dialog or says 481,
    // and nothing reaches a foreign target without a recorded route (403 later).
    return Verdict::Continue;
  }
  // In a dialog, only a participant of one we recorded may use our route, and it
  // goes to the other participant: never to an address of the sender's choosing.
  DialogHop hop = otherSide(ctx->flow, *first_own);
  if (!hop.from_participant) {
    RoutingCounters::get().forged_routes.add();
    ctx->router.reply(*ctx, 403, "Route Not Recorded Here");
    return Verdict::Done;
  }
  // The next hop is the remaining route set or the Request-URI (the remote
  // target); the recorded flow, if any, says how to reach it.
  ctx->targets.push_back(Target{std::string(request.requestUri()),
                                request.has(sip::HeaderName::Route) ? std::nullopt : hop.flow});
  return Verdict::Continue;
}

}  // namespace proxy::routing
