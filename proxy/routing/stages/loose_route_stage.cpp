// SPDX-License-Identifier: Apache-2.0
#include "proxy/routing/stages/loose_route_stage.h"

#include "proxy/routing/record_route.h"
#include "proxy/routing/shard_router.h"

namespace proxy::routing {

Verdict LooseRouteStage::onRequest(ContextPtr& ctx) {
  sip::SipMessage& request = ctx->request;
  std::optional<transport::Flow> other;
  bool popped = false;
  while (request.has(sip::HeaderName::Route)) {
    auto own = parseOwnRoute(request.header(sip::HeaderName::Route), ctx->router.us());
    if (!own) {
      break;
    }
    popped = true;
    if (!other) {
      other = otherSide(ctx->flow, *own);
    }
    request.removeFirst(sip::HeaderName::Route);
  }
  if (popped) {
    // The next hop is the remaining route set or the Request-URI (the remote
    // target); the recorded flow, if any, says how to reach it.
    ctx->targets.push_back(Target{std::string(request.requestUri()),
                                  request.has(sip::HeaderName::Route) ? std::nullopt : other});
  }
  return Verdict::Continue;
}

}  // namespace proxy::routing
