// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/flood_limiter.h"

#include <doctest/doctest.h>

namespace core::im {
namespace {

TEST_CASE("flood limiter: per sender, per window") {
  FloodLimiter limiter(3, 1000);
  CHECK(limiter.allow("a", 0));
  CHECK(limiter.allow("a", 10));
  CHECK(limiter.allow("a", 20));
  CHECK_FALSE(limiter.allow("a", 30));
  CHECK(limiter.allow("b", 30));    // others are not affected
  CHECK(limiter.allow("a", 1000));  // a new window
  limiter.sweep(1500);
  CHECK(limiter.tracked() == 1);  // "b"'s window ended; "a" started at 1000
  limiter.sweep(2000);
  CHECK(limiter.tracked() == 0);
}

TEST_CASE("flood limiter: zero means unlimited") {
  FloodLimiter limiter(0, 1000);
  for (int i = 0; i < 10000; ++i) {
    REQUIRE(limiter.allow("a", 0));
  }
  CHECK(limiter.tracked() == 0);
}

}  // namespace
}  // namespace core::im
