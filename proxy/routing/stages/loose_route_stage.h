// SPDX-License-Identifier: Apache-2.0
// Loose routing (RFC 3261 §16.4): removes the Route entries that name us and
// remembers the flow tokens our Record-Route left in them. A request that came
// back through us this way is aimed at the other side of its dialog: its target
// is set here, with the flow of the side it did not arrive from.
#pragma once

#include "proxy/routing/stage.h"

namespace proxy::routing {

class LooseRouteStage final : public Stage {
 public:
  std::string_view name() const override { return "loose-route: pop our Route entries"; }
  Verdict onRequest(ContextPtr& ctx) override;
};

}  // namespace proxy::routing
