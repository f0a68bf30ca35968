// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "proxy/uv/shard.h"
#include "proxy/uv/timer.h"

using namespace proxy::uv;

TEST_CASE("a posted task runs on the shard's own thread") {
  ShardSet shards(3);
  shards.startAll({});
  std::mutex m;
  std::condition_variable cv;
  int ran = 0;
  unsigned seen_id = 99;
  shards.post(2, [&] {
    std::lock_guard lock(m);
    seen_id = Shard::current()->id();
    ++ran;
    cv.notify_all();
  });
  {
    std::unique_lock lock(m);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return ran == 1; }));
  }
  CHECK(seen_id == 2);
  shards.stopAll({});
}

TEST_CASE("shardOf is stable and case-insensitive") {
  ShardSet shards(3);
  CHECK(shards.shardOf("alice@example.test") == shards.shardOf("ALICE@example.test"));
  CHECK(shards.shardOf("x") < 3);
}

TEST_CASE("a timer fires and objects built in init are torn down in fini") {
  Shard shard(0);
  std::atomic<int> fired{0};
  std::optional<Timer> timer;  // lives on the shard; created and destroyed there
  shard.start([&] {
    timer.emplace(Shard::current()->loop(), [&] { fired++; });
    timer->start(1, 1);
  });
  for (int i = 0; i < 500 && fired.load() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  shard.stop([&] { timer.reset(); });
  CHECK(fired.load() >= 3);
}
