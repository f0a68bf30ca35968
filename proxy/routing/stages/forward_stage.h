// SPDX-License-Identifier: Apache-2.0
// The terminal stage: checks and decrements Max-Forwards (RFC 3261 §16.3 step 3,
// §16.6 step 3) and hands the request to the forking proxy. A request with no
// target by now is for somewhere we do not route to: 403, never an open relay.
#pragma once

#include "proxy/routing/stage.h"

namespace proxy::routing {

class ForwardStage final : public Stage {
 public:
  std::string_view name() const override { return "forward: Max-Forwards, then fork"; }
  Verdict onRequest(ContextPtr& ctx) override;
};

}  // namespace proxy::routing
