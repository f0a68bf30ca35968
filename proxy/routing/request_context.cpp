// SPDX-License-Identifier: Apache-2.0
#include "proxy/routing/request_context.h"

namespace proxy::routing {

bool RequestContext::inDialog() const {
  const auto& to = request.to();
  return to && !to->tag().empty();
}

std::string RequestContext::senderAor() const {
  if (!authenticated_aor.empty()) {
    return authenticated_aor;
  }
  const auto& from = request.from();
  return from && from->uri().isSip() ? from->uri().aor() : std::string();
}

}  // namespace proxy::routing
