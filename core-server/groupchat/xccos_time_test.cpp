// SPDX-License-Identifier: Apache-2.0
#include "core-server/groupchat/xccos_time.h"

#include <doctest/doctest.h>

namespace core::groupchat {
namespace {

using std::chrono::nanoseconds;
using std::chrono::seconds;

XccosClock::time_point at(int64_t unix_seconds, int64_t nanos = 0) {
  return XccosClock::time_point(
      std::chrono::duration_cast<XccosClock::duration>(seconds(unix_seconds) + nanoseconds(nanos)));
}

TEST_CASE("serverTime has seven fractional digits, like the sipe sample") {
  // 2010-09-14T14:26:17.6206356Z (sipe-groupchat.c) is unix 1284474377 + 620635600 ns.
  const auto sample = at(1284474377, 620635600);
  CHECK(formatXccosTime(sample, TimePrecision::Ticks) == "2010-09-14T14:26:17.6206356Z");
  CHECK(formatXccosTime(sample, TimePrecision::Seconds) == "2010-09-14T14:26:17Z");
  CHECK(formatXccosTime(at(1284474377, 620635699), TimePrecision::Ticks) ==
        "2010-09-14T14:26:17.6206356Z");  // truncated, not rounded
  CHECK(formatXccosTime(at(0), TimePrecision::Ticks) == "1970-01-01T00:00:00.0000000Z");
  CHECK(formatXccosTime(at(951782400), TimePrecision::Seconds) == "2000-02-29T00:00:00Z");
  CHECK(formatXccosTime(at(-1), TimePrecision::Seconds) == "1969-12-31T23:59:59Z");
}

TEST_CASE("parsing accepts sipe's and the server's forms and round-trips") {
  CHECK(parseXccosTime("2010-09-14T14:26:17Z") == at(1284474377));
  CHECK(parseXccosTime("2010-09-14T14:26:17") == at(1284474377));  // no zone: UTC
  CHECK(parseXccosTime("2010-09-14T14:26:17.6206356Z") == at(1284474377, 620635600));
  CHECK(parseXccosTime("2010-09-14T16:26:17+02:00") == at(1284474377));
  CHECK(parseXccosTime("2010-09-14T09:26:17.5-05:00") == at(1284474377, 500000000));
  const auto now = at(1700000000, 123456700);
  CHECK(parseXccosTime(formatXccosTime(now, TimePrecision::Ticks)) == now);
}

TEST_CASE("malformed or impossible timestamps are rejected") {
  for (const char* bad :
       {"", "2010-09-14", "2010-09-14 14:26:17Z", "2010-13-01T00:00:00Z", "2010-02-30T00:00:00Z",
        "2011-02-29T00:00:00Z", "2010-09-14T24:00:00Z", "2010-09-14T14:26:17.Z",
        "2010-09-14T14:26:17.1234567890Z", "2010-09-14T14:26:17ZZ", "2010-09-14T14:26:17+2:00",
        "2010-9-14T14:26:17Z", "x010-09-14T14:26:17Z"}) {
    CAPTURE(bad);
    CHECK_FALSE(parseXccosTime(bad).has_value());
  }
  CHECK(parseXccosTime("2012-02-29T00:00:00Z").has_value());
  // Outside what a 64-bit nanosecond clock holds: refused, not overflowed.
  CHECK_FALSE(parseXccosTime("3010-09-14T14:26:17Z").has_value());
  CHECK_FALSE(parseXccosTime("0001-01-01T00:00:00Z").has_value());
  CHECK(parseXccosTime("2200-01-01T00:00:00Z").has_value());
}

}  // namespace
}  // namespace core::groupchat
