// SPDX-License-Identifier: Apache-2.0
#include "proxy/routing/request_context.h"

namespace proxy::routing {

bool RequestContext::inDialog() const {
  auto to = request.to();
  return to && !to->tag().empty();
}

}  // namespace proxy::routing
