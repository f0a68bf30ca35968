// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/service/rules_version.h"

#include <nlohmann/json.hpp>

#include "core-server/presence/service/dialog_json.h"
#include "proxy/base/clock.h"
#include "proxy/base/random.h"

namespace core::presence {

std::string rulesVersion(storage::Store& store) {
  auto records = store.loadStates(std::string(kRulesVersionKind),
                                  proxy::SystemClock::instance().unixSeconds());
  for (const storage::StateRecord& r : records) {
    if (r.key == kRulesVersionKey) {
      return r.value;
    }
  }
  return {};
}

void bumpRulesVersion(storage::Store& store) {
  const nlohmann::json now = nlohmann::json::parse(rulesVersion(store), nullptr, false);
  const uint64_t counter = now.is_object() ? jsonNumber(now, "counter") : 0;
  const nlohmann::json next = {{"counter", counter + 1},
                               {"nonce", proxy::randomToken(12)},
                               {"at", proxy::SystemClock::instance().unixSeconds()}};
  store.putState(
      {std::string(kRulesVersionKind), std::string(kRulesVersionKey), "", jsonDump(next), 0}, {},
      {});
}

}  // namespace core::presence
