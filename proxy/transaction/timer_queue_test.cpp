// SPDX-License-Identifier: Apache-2.0
#include "proxy/transaction/timer_queue.h"

#include <doctest/doctest.h>

using namespace proxy::transaction;

TEST_CASE("TimerQueue pops due entries by deadline, ties in arming order") {
  TimerQueue queue;
  CHECK_FALSE(queue.nextDeadline());
  queue.push(300, 1, TimerSlot::Timeout, 1);
  queue.push(100, 2, TimerSlot::Retransmit, 1);
  queue.push(100, 3, TimerSlot::Retransmit, 4);
  queue.push(200, 4, TimerSlot::Failure, 2);
  CHECK(queue.nextDeadline() == 100);
  CHECK_FALSE(queue.popDue(99));
  auto a = queue.popDue(250);
  auto b = queue.popDue(250);
  auto c = queue.popDue(250);
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(a->transaction == 2);
  CHECK(b->transaction == 3);
  CHECK(b->generation == 4);
  CHECK(c->transaction == 4);
  CHECK(c->slot == TimerSlot::Failure);
  CHECK_FALSE(queue.popDue(250));
  CHECK(queue.size() == 1);
  CHECK(queue.nextDeadline() == 300);
}

TEST_CASE("TimerQueue::compact keeps only what the predicate keeps, in order") {
  TimerQueue queue;
  for (uint64_t i = 0; i < 10; ++i) {
    queue.push(static_cast<int64_t>(100 - i), i, TimerSlot::Timeout, 0);
  }
  queue.compact([](const TimerEntry& e) { return e.transaction % 3 == 0; });
  CHECK(queue.size() == 4);
  std::vector<uint64_t> order;
  while (auto e = queue.popDue(1000)) {
    order.push_back(e->transaction);
  }
  CHECK(order == std::vector<uint64_t>{9, 6, 3, 0});
}
