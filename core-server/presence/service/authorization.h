// SPDX-License-Identifier: Apache-2.0
// Per-presentity authorization of watchers (RFC 3856 §6.6, RFC 5025 in spirit;
// MS containers map onto the same decisions). The most specific rule wins: a
// rule for the watcher's AOR, then one for the watcher's domain, then the
// default for the presentity's own domain, then the federated default.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace core::presence {

enum class Decision : uint8_t {
  Allow,    // the watcher sees the presentity's state
  Confirm,  // pending: Subscription-State pending, no state, until a rule decides
  Block,    // polite blocking: the subscription is accepted but only ever shows offline
  Reject,   // the subscription is refused (403) or terminated (reason=rejected)
};

std::string_view decisionName(Decision decision);  // "allow", "confirm", "block", "deny"
// Accepts the names above ("reject" too); nullopt for anything else.
std::optional<Decision> parseDecision(std::string_view name);

struct WatcherRule {
  bool domain = false;  // `match` is a domain ("example.test") rather than an AOR
  std::string match;    // lowercase
  Decision decision = Decision::Allow;

  bool operator==(const WatcherRule&) const = default;
};

// The rules of one presentity.
class RuleSet {
 public:
  void set(const WatcherRule& rule);
  bool remove(bool domain, std::string_view match);
  // The rule that decides for `watcher` (a lowercase AOR), if any.
  std::optional<Decision> lookup(std::string_view watcher) const;
  std::vector<WatcherRule> list() const;
  bool empty() const { return watchers_.empty() && domains_.empty(); }

 private:
  std::map<std::string, Decision, std::less<>> watchers_;
  std::map<std::string, Decision, std::less<>> domains_;
};

// "example.test" of "alice@example.test" ("" without '@').
std::string_view domainOf(std::string_view aor);

}  // namespace core::presence
