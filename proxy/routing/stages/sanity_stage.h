// SPDX-License-Identifier: Apache-2.0
// Checks a proxy makes before anything else (RFC 3261 §16.3): the extensions
// named in Proxy-Require must be ones we support (else 420 listing them in
// Unsupported, step 5). Message-intrinsic checks already ran on arrival.
#pragma once

#include "proxy/routing/stage.h"

namespace proxy::routing {

class SanityStage final : public Stage {
 public:
  std::string_view name() const override { return "sanity: Proxy-Require (420)"; }
  Verdict onRequest(ContextPtr& ctx) override;
};

// Answers 420 when the request's Require names a tag we do not support; used by
// the stages that act as the UAS (registrar, local OPTIONS). True if answered.
bool rejectUnsupportedRequire(RequestContext& ctx);

}  // namespace proxy::routing
