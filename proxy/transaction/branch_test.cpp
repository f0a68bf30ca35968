// SPDX-License-Identifier: Apache-2.0
#include "proxy/transaction/branch.h"

#include <doctest/doctest.h>

#include <set>

using namespace proxy::transaction;

TEST_CASE("isRfc3261Branch needs the magic cookie and something after it") {
  CHECK(isRfc3261Branch("z9hG4bK776asdhds"));
  CHECK_FALSE(isRfc3261Branch("z9hG4bK"));  // RFC 4475 badbranch
  CHECK_FALSE(isRfc3261Branch("Z9HG4BK776asdhds"));
  CHECK_FALSE(isRfc3261Branch("776asdhds"));
  CHECK_FALSE(isRfc3261Branch(""));
}

TEST_CASE("makeBranch and shardOfBranch round-trip") {
  for (unsigned shard : {0u, 1u, 2u, 17u, 4096u}) {
    const std::string branch = makeBranch(shard);
    CHECK(branch.starts_with("z9hG4bK-"));
    CHECK(isRfc3261Branch(branch));
    CHECK(shardOfBranch(branch) == shard);
  }
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    seen.insert(makeBranch(1));
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("shardOfBranch rejects branches we did not mint") {
  CHECK_FALSE(shardOfBranch("z9hG4bK776asdhds"));
  CHECK_FALSE(shardOfBranch("z9hG4bK-"));
  CHECK_FALSE(shardOfBranch("z9hG4bK-1"));
  CHECK_FALSE(shardOfBranch("z9hG4bK-1-"));
  CHECK_FALSE(shardOfBranch("z9hG4bK--abc"));
  CHECK_FALSE(shardOfBranch("z9hG4bK-x1-abc"));
  CHECK_FALSE(shardOfBranch("z9hG4bK-99999999999-abc"));
  CHECK_FALSE(shardOfBranch("branch-1-abc"));
  CHECK(shardOfBranch("z9hG4bK-2-a") == 2u);
}
