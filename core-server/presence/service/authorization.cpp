// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/service/authorization.h"

namespace core::presence {

std::string_view decisionName(Decision decision) {
  switch (decision) {
    case Decision::Allow:
      return "allow";
    case Decision::Confirm:
      return "confirm";
    case Decision::Block:
      return "block";
    case Decision::Reject:
      return "deny";
  }
  return "deny";
}

std::optional<Decision> parseDecision(std::string_view name) {
  if (name == "allow") return Decision::Allow;
  if (name == "confirm") return Decision::Confirm;
  if (name == "block") return Decision::Block;
  if (name == "deny" || name == "reject") return Decision::Reject;
  return std::nullopt;
}

std::string_view domainOf(std::string_view aor) {
  size_t at = aor.rfind('@');
  return at == std::string_view::npos ? std::string_view() : aor.substr(at + 1);
}

void RuleSet::set(const WatcherRule& rule) {
  (rule.domain ? domains_ : watchers_)[rule.match] = rule.decision;
}

bool RuleSet::remove(bool domain, std::string_view match) {
  auto& map = domain ? domains_ : watchers_;
  auto it = map.find(match);
  if (it == map.end()) {
    return false;
  }
  map.erase(it);
  return true;
}

std::optional<Decision> RuleSet::lookup(std::string_view watcher) const {
  if (auto it = watchers_.find(watcher); it != watchers_.end()) {
    return it->second;
  }
  if (auto it = domains_.find(domainOf(watcher)); it != domains_.end()) {
    return it->second;
  }
  return std::nullopt;
}

std::vector<WatcherRule> RuleSet::list() const {
  std::vector<WatcherRule> out;
  for (const auto& [match, decision] : watchers_) {
    out.push_back(WatcherRule{false, match, decision});
  }
  for (const auto& [match, decision] : domains_) {
    out.push_back(WatcherRule{true, match, decision});
  }
  return out;
}

}  // namespace core::presence
