// SPDX-License-Identifier: Apache-2.0
// How an authorization rule is stored (PresenceRecord kind Rule): shared by the
// presence service and confabctl's `presence rule` commands, which write the
// same SQLite store while the server runs.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core-server/presence/service/authorization.h"
#include "core-server/presence/service/state_store.h"

namespace core::presence {

// "<presentity> watcher|domain <match>": a rule's key in the store.
std::string ruleKey(std::string_view presentity, const WatcherRule& rule);
// The record of `rule` for `presentity` (a canonical AOR); key "<presentity> watcher|domain
// <match>".
PresenceRecord ruleRecord(std::string_view presentity, const WatcherRule& rule);
// The rule a Rule record holds; nullopt when the record is unreadable.
std::optional<WatcherRule> ruleFromRecord(const PresenceRecord& record);

struct RuleChange {
  std::string presentity;
  WatcherRule rule;  // removed: only domain and match count
  bool removed = false;

  bool operator==(const RuleChange&) const = default;
};
// The rules added, changed or removed between two snapshots of the stored Rule
// records (other kinds and unreadable records are ignored), in key order.
std::vector<RuleChange> diffRules(const std::vector<PresenceRecord>& before,
                                  const std::vector<PresenceRecord>& after);

}  // namespace core::presence
