// SPDX-License-Identifier: Apache-2.0
// A pipeline stage: one small policy applied to a request on its owner shard
// (sanity, loose routing, local services, registrar, auth, location, forward).
// Stages are built per shard, registered explicitly in order by confabd, and
// each is testable alone.
#pragma once

#include <string_view>

#include "proxy/routing/request_context.h"

namespace proxy::routing {

enum class Verdict {
  Continue,  // go on with the next stage
  Pause,     // the stage took `ctx` and will call Pipeline::resume() (or finish it) later
  Done,      // the request is answered or dropped; the pipeline frees `ctx`
};

class Stage {
 public:
  virtual ~Stage() = default;
  // A one-line description for logs and `--list-stages`.
  virtual std::string_view name() const = 0;
  // May move `ctx` out only when returning Pause.
  virtual Verdict onRequest(ContextPtr& ctx) = 0;
};

}  // namespace proxy::routing
