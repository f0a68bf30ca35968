// SPDX-License-Identifier: Apache-2.0
// OPTIONS addressed to the server itself (a domain or listener address with no
// user part) are answered here with what we accept (RFC 3261 §11.2); clients
// and monitoring use them as a ping.
#pragma once

#include "proxy/routing/stage.h"

namespace proxy::routing {

class LocalOptionsStage final : public Stage {
 public:
  std::string_view name() const override { return "local-options: answer OPTIONS to us"; }
  Verdict onRequest(ContextPtr& ctx) override;
};

// The methods this server understands, for Allow headers.
inline constexpr std::string_view kAllowedMethods =
    "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, MESSAGE, INFO, UPDATE, REFER, SUBSCRIBE, "
    "NOTIFY, PRACK";

}  // namespace proxy::routing
