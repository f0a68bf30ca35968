// SPDX-License-Identifier: Apache-2.0
#include "proxy/routing/stages/local_options_stage.h"

#include "proxy/routing/shard_router.h"
#include "proxy/routing/stages/sanity_stage.h"

namespace proxy::routing {

Verdict LocalOptionsStage::onRequest(ContextPtr& ctx) {
  if (ctx->request.method() != sip::Method::Options || !ctx->targets.empty()) {
    return Verdict::Continue;
  }
  auto uri = sip::Uri::parse(ctx->request.requestUri());
  if (!uri || !uri->isSip() || !uri->user().empty() || !ctx->router.us().isUs(*uri)) {
    return Verdict::Continue;
  }
  if (rejectUnsupportedRequire(*ctx)) {
    return Verdict::Done;
  }
  ctx->router.reply(*ctx, 200, "OK",
                    {{"Allow", std::string(kAllowedMethods)},
                     {"Accept", "application/sdp, text/plain, message/cpim"},
                     {"Accept-Encoding", "identity"},
                     {"Accept-Language", "en"}});
  return Verdict::Done;
}

}  // namespace proxy::routing
