// SPDX-License-Identifier: Apache-2.0
// Loose routing (RFC 3261 §16.4): removes the Route entries that name us. An
// in-dialog request that came back through our (signed) Record-Route is aimed
// at the other side of its dialog: its target is set here, with the flow of the
// side it did not arrive from. Anyone else using our route gets 403; an
// out-of-dialog request that merely names us as outbound proxy goes on to
// authentication and location like any other.
#pragma once

#include "proxy/routing/stage.h"

namespace proxy::routing {

class LooseRouteStage final : public Stage {
 public:
  std::string_view name() const override { return "loose-route: pop our Route entries"; }
  Verdict onRequest(ContextPtr& ctx) override;
};

}  // namespace proxy::routing
