// SPDX-License-Identifier: Apache-2.0
#include "proxy/config/ha1.h"

#include <doctest/doctest.h>

namespace proxy::config {

// Expected values computed independently: printf 'alice:example.test:secret' | md5sum
TEST_CASE("HA1 matches md5sum and sha256sum of user:realm:password") {
  CHECK(computeHa1(DigestAlgorithm::Md5, "alice", "example.test", "secret") ==
        "4842575394a190ef4c973253ba19099c");
  CHECK(computeHa1(DigestAlgorithm::Sha256, "alice", "example.test", "secret") ==
        "cc0140d97f2b011fee9f86aa26b63fc472268267b652dcea0675e15d9da92468");
  // A colon inside the password is just more password.
  CHECK(computeHa1(DigestAlgorithm::Md5, "bob", "corp.test", "pa:ss") ==
        "a670b4d7ef025f8deba24896526122d1");
}

TEST_CASE("algorithm names follow RFC 8760 and parse case-insensitively") {
  CHECK(algorithmName(DigestAlgorithm::Sha256) == "SHA-256");
  CHECK(algorithmName(DigestAlgorithm::Md5) == "MD5");
  CHECK(parseAlgorithm("sha-256") == DigestAlgorithm::Sha256);
  CHECK(parseAlgorithm("MD5") == DigestAlgorithm::Md5);
  CHECK_FALSE(parseAlgorithm("SHA-512-256").has_value());
  CHECK_FALSE(parseAlgorithm("").has_value());
}

}  // namespace proxy::config
