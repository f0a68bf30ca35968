// SPDX-License-Identifier: Apache-2.0
#include "proxy/uv/timer.h"

namespace proxy::uv {

Timer::Timer(uv_loop_t& loop, Callback cb) : handle_(loop, uv_timer_init), cb_(std::move(cb)) {
  handle_->data = this;
}

void Timer::start(uint64_t delay_ms, uint64_t repeat_ms) {
  uv_timer_start(
      handle_.get(),
      [](uv_timer_t* t) noexcept {
        if (auto* self = static_cast<Timer*>(t->data)) {
          self->cb_();
        }
      },
      delay_ms, repeat_ms);
}

void Timer::stop() { uv_timer_stop(handle_.get()); }

bool Timer::active() const { return uv_is_active(reinterpret_cast<uv_handle_t*>(handle_.get())); }

}  // namespace proxy::uv
