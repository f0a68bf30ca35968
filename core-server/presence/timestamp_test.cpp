// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/timestamp.h"

#include <doctest/doctest.h>

namespace core::presence {
namespace {

TEST_CASE("RFC 3339 timestamps from PIDF, RPID and MS-PRES parse to unix seconds") {
  CHECK(parseRfc3339("1970-01-01T00:00:00Z") == 0);
  CHECK(parseRfc3339("2001-10-27T16:49:29Z") == 1004201369);           // RFC 3863 §6
  CHECK(parseRfc3339("2004-10-21T13:20:00.000-05:00") == 1098382800);  // RFC 4480 last-input
  CHECK(parseRfc3339("2005-05-30T16:09:44+05:00") == 1117451384);
  CHECK(parseRfc3339("2010-09-14T14:26:17.6206356Z") == 1284474377);  // MS, 7 fraction digits
  CHECK(parseRfc3339("2008-01-11T19:00:00") == 1200078000);           // no offset: UTC
  CHECK(parseRfc3339("2000-02-29T00:00:00z") == 951782400);
  CHECK(parseRfc3339("1969-12-31T23:59:59Z") == -1);
}

TEST_CASE("malformed timestamps are rejected") {
  for (const char* bad :
       {"", "2001-10-27", "2001-13-01T00:00:00Z", "2001-02-29T00:00:00Z", "2001-10-27T24:00:00Z",
        "2001-10-27T16:49:29+5:00", "2001-10-27T16:49:29.Z", "2001-10-27T16:49:29Zjunk",
        "2001-10-27 16:49:29Z", "20x1-10-27T16:49:29Z"}) {
    CAPTURE(bad);
    CHECK_FALSE(parseRfc3339(bad).has_value());
  }
}

TEST_CASE("formatting is UTC with whole seconds and round-trips") {
  CHECK(formatRfc3339(0) == "1970-01-01T00:00:00Z");
  CHECK(formatRfc3339(1004201369) == "2001-10-27T16:49:29Z");
  CHECK(formatRfc3339(-1) == "1969-12-31T23:59:59Z");
  for (int64_t t : {int64_t{951782400}, int64_t{1700000000}, int64_t{4102444800}}) {
    CHECK(parseRfc3339(formatRfc3339(t)) == t);
  }
}

}  // namespace
}  // namespace core::presence
