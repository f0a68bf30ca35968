// SPDX-License-Identifier: Apache-2.0
// Checks a proxy makes before anything else (RFC 3261 §16.3): the extensions
// named in Proxy-Require must be ones we support (else 420 listing them in
// Unsupported, step 5). Message-intrinsic checks already ran on arrival.
#pragma once

#include <span>
#include <string_view>

#include "proxy/routing/stage.h"

namespace proxy::routing {

class SanityStage final : public Stage {
 public:
  std::string_view name() const override { return "sanity: Proxy-Require (420)"; }
  Verdict onRequest(ContextPtr& ctx) override;
};

// Answers 420 when the request's Require names a tag not in `supported` (the
// extensions the calling UAS stage implements; none by default); used by the
// stages that act as the UAS (registrar, local OPTIONS, presence). True if answered.
bool rejectUnsupportedRequire(RequestContext& ctx,
                              std::span<const std::string_view> supported = {});

}  // namespace proxy::routing
