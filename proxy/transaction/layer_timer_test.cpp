// SPDX-License-Identifier: Apache-2.0
// The production timer path: a real uv loop and the system clock drive a layer.
#include "proxy/transaction/layer_timer.h"

#include <doctest/doctest.h>

#include <optional>

#include "proxy/transaction/transaction_test_support.h"

using namespace proxy;
using namespace proxy::transaction;
using namespace proxy::transaction::testing;

TEST_CASE("LayerTimer runs retransmissions and timer F on a real loop") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    TimerConfig timers;
    timers.t1_ms = 5;  // F = 320 ms
    timers.t2_ms = 40;
    FakeSender sender;
    TransactionLayer layer(SystemClock::instance(), sender, 0, timers);
    std::optional<LayerTimer> driver;
    driver.emplace(loop, layer, SystemClock::instance());
    Responses responses;
    layer.sendRequest(parseOrFail(request("OPTIONS", "z9hG4bKup")), udp(), "127.0.0.1:5060",
                      responses.handler());
    uv_run(&loop, UV_RUN_DEFAULT);  // returns when no timer is pending any more
    REQUIRE(responses.got.size() == 1);
    CHECK(responses.got[0].status == 408);
    // 5, 10, 20, 40, 40, ... ms apart until 320 ms. A loaded machine may wake the loop
    // late and merge retransmissions, so only require that the real loop drove some;
    // the exact schedule is checked with a ManualClock in client_transaction_test.cpp.
    CHECK(sender.sent.size() >= 3);
    CHECK(layer.clientCount() == 0);
    driver.reset();
  }
  uv_run(&loop, UV_RUN_DEFAULT);  // let the timer handle close
  CHECK(uv_loop_close(&loop) == 0);
}
