// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "adapters/host/event_queue.h"

namespace adapters {

TEST_CASE("the event queue is bounded and refuses pushes once closed") {
  EventQueue queue(2);
  CHECK(queue.push(SendResultEvent{1, 200}));
  CHECK(queue.push(SendResultEvent{2, 200}));
  CHECK_FALSE(queue.push(SendResultEvent{3, 200}));
  auto taken = queue.takeAll();
  REQUIRE(taken.size() == 2);
  CHECK(std::get<SendResultEvent>(taken.front()).request_id == 1);
  CHECK(queue.size() == 0);
  CHECK(queue.push(SendResultEvent{4, 200}));
  CHECK(queue.push(SendResultEvent{5, 200}));
  PluginEvent event;
  REQUIRE(queue.pop(event));
  CHECK(std::get<SendResultEvent>(event).request_id == 4);
  CHECK(queue.size() == 1);
  queue.close();
  CHECK_FALSE(queue.pop(event));
  CHECK(queue.size() == 0);
  CHECK_FALSE(queue.push(SendResultEvent{6, 200}));
}

}  // namespace adapters
