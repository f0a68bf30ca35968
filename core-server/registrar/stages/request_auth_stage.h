// SPDX-License-Identifier: Apache-2.0
// Proxy authentication of requests that start something (RFC 3261 §22.3):
// an out-of-dialog request claiming a From in one of our domains must carry
// that user's digest credentials (407 otherwise). A From in a foreign domain
// can only come from a federated peer, which this server does not accept yet:
// 403. Trusted networks skip both checks.
#pragma once

#include <functional>
#include <string_view>

#include "core-server/registrar/authenticator.h"
#include "proxy/routing/stage.h"

namespace core::registrar {

class RequestAuthStage final : public proxy::routing::Stage {
 public:
  RequestAuthStage(Authenticator& auth, bool challenge_requests)
      : auth_(auth), challenge_requests_(challenge_requests) {}
  std::string_view name() const override { return "request-auth: 407 for local senders"; }
  proxy::routing::Verdict onRequest(proxy::routing::ContextPtr& ctx) override;

 private:
  Authenticator& auth_;
  bool challenge_requests_;
};

}  // namespace core::registrar
