// SPDX-License-Identifier: Apache-2.0
#include "proxy/routing/stages/forward_stage.h"

#include <string>

#include "proxy/routing/shard_router.h"

namespace proxy::routing {

Verdict ForwardStage::onRequest(ContextPtr& ctx) {
  sip::SipMessage& request = ctx->request;
  std::optional<uint32_t> hops = request.maxForwards();
  if (hops && *hops == 0) {
    ctx->router.reply(*ctx, 483, "Too Many Hops");
    return Verdict::Done;
  }
  uint32_t next = hops ? *hops - 1 : ctx->router.config().max_forwards;
  request.setHeader(sip::HeaderName::MaxForwards, std::to_string(next));
  if (ctx->targets.empty()) {
    ctx->router.reply(*ctx, 403, "Relaying Denied");
    return Verdict::Done;
  }
  ShardRouter& router = ctx->router;
  router.proxy().start(std::move(ctx));
  return Verdict::Pause;
}

}  // namespace proxy::routing
