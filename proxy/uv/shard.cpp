// SPDX-License-Identifier: Apache-2.0
#include "proxy/uv/shard.h"

#include <string>

#include "proxy/base/assert.h"
#include "proxy/base/log.h"
#include "proxy/base/strings.h"

namespace proxy::uv {
namespace {
thread_local Shard* t_current = nullptr;
}

Shard::Shard(unsigned id) : id_(id) {
  RELEASE_ASSERT(uv_loop_init(&loop_) == 0);
  wakeup_ = new uv_async_t{};
  RELEASE_ASSERT(uv_async_init(&loop_, wakeup_, [](uv_async_t* a) noexcept {
                   static_cast<Shard*>(a->data)->drain();
                 }) == 0);
  wakeup_->data = this;
}

Shard::~Shard() {
  if (started_) {
    stop();
  }
  if (wakeup_ != nullptr) {  // never started: close on this thread
    uv_close(reinterpret_cast<uv_handle_t*>(wakeup_),
             [](uv_handle_t* h) noexcept { delete reinterpret_cast<uv_async_t*>(h); });
    wakeup_ = nullptr;
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
}

Shard* Shard::current() { return t_current; }

void Shard::post(Task task) {
  std::lock_guard lock(inbox_mutex_);
  if (closed_) {
    return;  // stopped: nothing runs here any more (a late cross-shard task at shutdown)
  }
  inbox_.push_back(std::move(task));
  // Under the lock, so the wakeup cannot be closed in between. libuv coalesces
  // sends; drain() takes everything that is queued.
  uv_async_send(wakeup_);
}

void Shard::drain() {
  std::vector<Task> batch;
  {
    std::lock_guard lock(inbox_mutex_);
    batch.swap(inbox_);
  }
  for (auto& task : batch) {
    task();
  }
}

void Shard::start(Task init) {
  RELEASE_ASSERT(!started_);
  started_ = true;
  thread_ = std::thread([this, init = std::move(init)] {
    t_current = this;
    log::setThreadTag("w" + std::to_string(id_));
    if (init) {
      init();
    }
    uv_run(&loop_, UV_RUN_DEFAULT);
    t_current = nullptr;
  });
}

void Shard::stop(Task fini) {
  if (!started_) {
    return;
  }
  post([this, fini = std::move(fini)] {
    if (fini) {
      fini();
    }
    drain();  // run what was posted before the stop
    std::vector<Task> late;
    {
      std::lock_guard lock(inbox_mutex_);
      closed_ = true;  // post() drops tasks from now on
      late.swap(inbox_);
    }
    for (auto& task : late) {
      task();
    }
    // Per-shard objects were destroyed by `fini` and closed their own handles;
    // closing the wakeup lets uv_run return once those close callbacks ran.
    uv_close(reinterpret_cast<uv_handle_t*>(wakeup_),
             [](uv_handle_t* c) noexcept { delete reinterpret_cast<uv_async_t*>(c); });
    wakeup_ = nullptr;
    // Anything still open is a leak in an owner; close it (memory is leaked, not freed
    // twice) so shutdown never hangs, and say so.
    int leaked = 0;
    uv_walk(
        &loop_,
        [](uv_handle_t* h, void* arg) noexcept {
          if (!uv_is_closing(h)) {
            ++*static_cast<int*>(arg);
            uv_close(h, nullptr);
          }
        },
        &leaked);
    if (leaked > 0) {
      LOG_WARN("shard %u: %d handles still open at stop", id_, leaked);
    }
  });
  thread_.join();
  started_ = false;
}

ShardSet::ShardSet(unsigned count) {
  RELEASE_ASSERT(count >= 1);
  for (unsigned i = 0; i < count; ++i) {
    shards_.push_back(std::make_unique<Shard>(i));
  }
}

uint64_t stableHash(std::string_view key) {
  uint64_t h = 1469598103934665603ull;
  for (char c : key) {
    h ^= static_cast<unsigned char>(asciiLower(c));
    h *= 1099511628211ull;
  }
  return h;
}

unsigned ShardSet::shardOf(std::string_view key) const {
  return static_cast<unsigned>(stableHash(key) % shards_.size());
}

void ShardSet::startAll(const std::function<void(Shard&)>& init) {
  for (auto& s : shards_) {
    Shard* shard = s.get();
    shard->start([shard, init] {
      if (init) {
        init(*shard);
      }
    });
  }
}

void ShardSet::stopAll(const std::function<void(Shard&)>& fini) {
  for (auto& s : shards_) {
    Shard* shard = s.get();
    shard->stop([shard, fini] {
      if (fini) {
        fini(*shard);
      }
    });
  }
}

}  // namespace proxy::uv
