// SPDX-License-Identifier: Apache-2.0
#include "proxy/transport/source_limits.h"

#include <doctest/doctest.h>

using namespace proxy::transport;

TEST_CASE("SourceConnectionLimiter counts per IP, not per port") {
  SourceConnectionLimiter limiter(2);
  auto a1 = *Address::parse("192.0.2.1:1000");
  auto a2 = *Address::parse("192.0.2.1:1001");
  auto a3 = *Address::parse("192.0.2.1:1002");
  auto b = *Address::parse("[2001:db8::1]:1000");
  CHECK(limiter.tryAcquire(a1));
  CHECK(limiter.tryAcquire(a2));
  CHECK_FALSE(limiter.tryAcquire(a3));
  CHECK(limiter.tryAcquire(b));
  limiter.release(a1);
  CHECK(limiter.tryAcquire(a3));
  CHECK_FALSE(limiter.tryAcquire(a1));
}

TEST_CASE("SourceConnectionLimiter with 0 is unlimited") {
  SourceConnectionLimiter limiter(0);
  auto a = *Address::parse("192.0.2.1:1");
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(limiter.tryAcquire(a));
  }
}

TEST_CASE("SourceRateLimiter: burst of one second, then the refill rate") {
  SourceRateLimiter rate(10);
  auto a = *Address::parse("192.0.2.1:1");
  auto other = *Address::parse("192.0.2.2:1");
  int allowed = 0;
  for (int i = 0; i < 20; ++i) {
    allowed += rate.allow(a, 1000) ? 1 : 0;
  }
  CHECK(allowed == 10);
  CHECK(rate.allow(other, 1000));    // separate bucket
  CHECK_FALSE(rate.allow(a, 1050));  // half a token
  CHECK(rate.allow(a, 1100));        // one token after 100 ms
  CHECK_FALSE(rate.allow(a, 1100));
  // A long silence refills to the burst, not beyond.
  allowed = 0;
  for (int i = 0; i < 30; ++i) {
    allowed += rate.allow(a, 100'000) ? 1 : 0;
  }
  CHECK(allowed == 10);
  SourceRateLimiter off(0);
  CHECK_FALSE(off.enabled());
  CHECK(off.allow(a, 0));
  CHECK(off.trackedSources() == 0);
}
