// SPDX-License-Identifier: Apache-2.0
#include "adapters/click_to_chat/rate_limiter.h"

#include <doctest/doctest.h>

namespace adapters::click_to_chat {
namespace {

TEST_CASE("a sliding window of N per 10 s") {
  RateLimiter limit(3, 10000);
  CHECK(limit.allow(0));
  CHECK(limit.allow(100));
  CHECK(limit.allow(200));
  CHECK_FALSE(limit.allow(300));   // the fourth within 10 s
  CHECK_FALSE(limit.allow(9999));  // refused ones are not recorded, but the window still holds
  CHECK(limit.allow(10000));       // the first one left the window
  CHECK_FALSE(limit.allow(10050));
  CHECK(limit.allow(10100));
  CHECK(limit.allow(30000));
}

}  // namespace
}  // namespace adapters::click_to_chat
