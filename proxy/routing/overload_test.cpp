// SPDX-License-Identifier: Apache-2.0
#include "proxy/routing/overload.h"

#include <doctest/doctest.h>

namespace proxy::routing::overload {

TEST_CASE("overload: no limits, never overloaded") {
  CHECK(decide(Limits{}, 1'000'000, 1'000'000) == Reason::None);
}

TEST_CASE("overload: the store queue at its limit refuses new work") {
  Limits l;
  l.store_queue_max = 10;
  CHECK(decide(l, 9, 0) == Reason::None);
  CHECK(decide(l, 10, 0) == Reason::StoreQueue);
  CHECK(decide(l, 11, 1'000) == Reason::StoreQueue);  // NOTIFYs unlimited here
}

TEST_CASE("overload: pending NOTIFYs at their limit refuse new work") {
  Limits l;
  l.notify_pending_max = 2;
  CHECK(decide(l, 1'000, 1) == Reason::None);
  CHECK(decide(l, 0, 2) == Reason::NotifyPending);
  l.store_queue_max = 5;
  CHECK(decide(l, 5, 2) == Reason::StoreQueue);  // the store is named first
  CHECK(reasonName(Reason::StoreQueue) == "store_queue");
  CHECK(reasonName(Reason::NotifyPending) == "notify_pending");
  CHECK(reasonName(Reason::None).empty());
}

TEST_CASE("overload: the pending NOTIFY count is the shard's own and never goes below 0") {
  const uint64_t before = notifyPending();
  notifyStarted();
  notifyStarted();
  CHECK(notifyPending() == before + 2);
  notifyEnded();
  notifyEnded();
  notifyEnded();
  CHECK(notifyPending() == 0);
}

TEST_CASE("overload: configured limits and the store depth probe") {
  Limits l;
  l.store_queue_max = 3;
  l.retry_after_s = 7;
  uint64_t depth = 0;
  configure(l, [&depth] { return depth; });
  CHECK(limits().retry_after_s == 7);
  CHECK(current() == Reason::None);
  depth = 3;
  CHECK(current() == Reason::StoreQueue);
  depth = 2;
  CHECK(current() == Reason::None);
  configure(Limits{}, {});
  CHECK(current() == Reason::None);
}

}  // namespace proxy::routing::overload
