// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "core-server/presence/service/authorization.h"

namespace core::presence {

TEST_CASE("rules: the watcher's own rule beats its domain's") {
  RuleSet rules;
  CHECK_FALSE(rules.lookup("carol@example.test"));
  rules.set({true, "example.test", Decision::Confirm});
  rules.set({false, "carol@example.test", Decision::Block});
  CHECK(rules.lookup("carol@example.test") == Decision::Block);
  CHECK(rules.lookup("dave@example.test") == Decision::Confirm);
  CHECK_FALSE(rules.lookup("eve@other.test"));
  CHECK(rules.remove(false, "carol@example.test"));
  CHECK_FALSE(rules.remove(false, "carol@example.test"));
  CHECK(rules.lookup("carol@example.test") == Decision::Confirm);
  CHECK(rules.list().size() == 1);
}

TEST_CASE("rules: decision names round-trip") {
  for (Decision d : {Decision::Allow, Decision::Confirm, Decision::Block, Decision::Reject}) {
    CHECK(parseDecision(decisionName(d)) == d);
  }
  CHECK(parseDecision("reject") == Decision::Reject);
  CHECK_FALSE(parseDecision("maybe"));
  CHECK(domainOf("a@b.test") == "b.test");
  CHECK(domainOf("nodomain").empty());
}

}  // namespace core::presence
