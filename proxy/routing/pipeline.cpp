// SPDX-License-Identifier: Apache-2.0
#include "proxy/routing/pipeline.h"

#include "proxy/base/assert.h"
#include "proxy/routing/shard_router.h"

namespace proxy::routing {

void Pipeline::run(ContextPtr ctx) {
  ctx->next_stage = 0;
  resume(std::move(ctx));
}

void Pipeline::resume(ContextPtr ctx) {
  while (ctx->next_stage < stages_.size()) {
    Stage& stage = *stages_[ctx->next_stage++];
    switch (stage.onRequest(ctx)) {
      case Verdict::Continue:
        ASSERT(ctx != nullptr);
        continue;
      case Verdict::Pause:
      case Verdict::Done:
        return;
    }
  }
  BUG("pipeline has no terminal stage");
  ctx->router.reply(*ctx, 500, "No Route");
}

}  // namespace proxy::routing
