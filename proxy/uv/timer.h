// SPDX-License-Identifier: Apache-2.0
// A one-shot or repeating timer on one loop. Not thread-safe: use it only on
// the thread of the loop it was created on. Destroying it cancels it.
#pragma once

#include <cstdint>
#include <functional>

#include "proxy/uv/handle.h"

namespace proxy::uv {

class Timer {
 public:
  using Callback = std::function<void()>;
  Timer(uv_loop_t& loop, Callback cb);
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Fires after `delay_ms`, then every `repeat_ms` if non-zero. Restarting re-arms.
  void start(uint64_t delay_ms, uint64_t repeat_ms = 0);
  void stop();
  bool active() const;

 private:
  Handle<uv_timer_t> handle_;
  Callback cb_;
};

}  // namespace proxy::uv
