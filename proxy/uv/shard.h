// SPDX-License-Identifier: Apache-2.0
// Shared-nothing workers. A Shard is one thread running one uv_loop_t, and it
// owns every object created on it; other threads reach it only through post().
// A ShardSet starts N shards and maps an AOR (or any key) to its owning shard
// with a stable hash, so an AOR's state always lives on the same shard.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "proxy/uv/handle.h"

namespace proxy::uv {

using Task = std::function<void()>;

class Shard {
 public:
  explicit Shard(unsigned id);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  unsigned id() const { return id_; }
  uv_loop_t& loop() { return loop_; }

  // Thread-safe. Runs `task` on this shard's loop thread, in post order; once the
  // shard has stopped, the task is dropped (late cross-shard tasks at shutdown).
  void post(Task task);

  // Starts the thread; `init` runs first on it (build per-shard objects there).
  void start(Task init = {});
  // Thread-safe. Runs `fini` on the loop, closes every handle, joins the thread.
  void stop(Task fini = {});

  // The shard whose loop thread is calling, or nullptr on other threads.
  static Shard* current();

 private:
  void drain();

  unsigned id_;
  uv_loop_t loop_{};
  uv_async_t* wakeup_ = nullptr;  // closed on the loop thread at stop
  std::mutex inbox_mutex_;        // guards only the hand-over of posted tasks
  std::vector<Task> inbox_;
  bool closed_ = false;  // under inbox_mutex_: stopped, post() drops tasks
  std::thread thread_;
  bool started_ = false;
};

class ShardSet {
 public:
  explicit ShardSet(unsigned count);
  unsigned size() const { return static_cast<unsigned>(shards_.size()); }
  Shard& shard(unsigned i) { return *shards_[i]; }
  // Stable across runs and processes (FNV-1a), so persisted state lands where it lived.
  unsigned shardOf(std::string_view key) const;
  void post(unsigned shard, Task task) { shards_[shard]->post(std::move(task)); }
  void startAll(const std::function<void(Shard&)>& init);
  void stopAll(const std::function<void(Shard&)>& fini);

 private:
  std::vector<std::unique_ptr<Shard>> shards_;
};

// Stable 64-bit FNV-1a hash over the lowercase bytes of `key`.
uint64_t stableHash(std::string_view key);

}  // namespace proxy::uv
