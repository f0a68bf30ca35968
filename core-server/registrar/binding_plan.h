// SPDX-License-Identifier: Apache-2.0
// The stateful half of REGISTER processing (RFC 3261 §10.3 steps 6-7, RFC 5626
// instance keys): given an AOR's current bindings and a parsed REGISTER, works
// out the bindings to remove and to write, or why the request must fail. It
// changes nothing; the Registrar persists the plan and then applies it to the
// LocationService. Pure function; runs on the AOR's shard.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core-server/registrar/binding.h"
#include "core-server/registrar/register_request.h"
#include "proxy/base/result.h"
#include "proxy/transport/transport.h"

namespace core::registrar {

struct BindingPlan {
  std::vector<std::string> removals;  // contact texts of bindings to delete
  std::vector<Binding> puts;          // new or refreshed bindings (upserts by contact)
  bool has_granted = false;           // false for a fetch
  uint32_t granted = 0;               // expiry granted to the first contact: the Expires header
  bool empty() const { return removals.empty() && puts.empty(); }
};

struct PlanContext {
  const proxy::transport::Flow& flow;  // the flow the REGISTER came over
  int64_t now = 0;                     // unix seconds
  size_t max_contacts = 16;            // per AOR
};

// `current` are the AOR's live bindings. Errors: 500 "Out of order" when a
// binding's Call-ID matches and the CSeq is not higher (§10.3 step 7), 403 "Too
// many contacts" when new bindings would push the AOR past max_contacts.
proxy::Result<BindingPlan> planBindings(const RegisterRequest& req,
                                        const std::vector<const Binding*>& current,
                                        const PlanContext& ctx);

}  // namespace core::registrar
