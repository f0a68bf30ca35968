// SPDX-License-Identifier: Apache-2.0
// How a running server notices that confabctl changed the stored authorization
// rules without reading them all every second: confabctl moves one marker record
// after each change (bumpRulesVersion); the server reads that one row each second
// (rulesVersion) and reads and diffs the rules (diffRules) only when it moved.
// The way `confabctl user add` is noticed (the store's users_version), for rules.
#pragma once

#include <string>
#include <string_view>

#include "core-server/storage/store.h"

namespace core::presence {

// The marker's store kind and key (a state record of its own: never loaded as presence).
inline constexpr std::string_view kRulesVersionKind = "presence.rules_version";
inline constexpr std::string_view kRulesVersionKey = "version";

// The marker now: "" when no rule was ever changed by confabctl. Synchronous.
std::string rulesVersion(storage::Store& store);
// Moves the marker (queued like any state write: flush() before exiting). The value
// carries a counter and a random part, so two confabctl runs racing on the same
// counter still leave a marker that differs from what the server saw.
void bumpRulesVersion(storage::Store& store);

}  // namespace core::presence
