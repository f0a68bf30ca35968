// SPDX-License-Identifier: Apache-2.0
// RAII ownership of one libuv handle. libuv needs the handle's memory to stay
// valid until its close callback runs, so the memory is freed there, not in our
// destructor. This keeps libuv's lifetime rule in one place.
#pragma once

#include <uv.h>

#include <utility>

#include "proxy/base/assert.h"

namespace proxy::uv {

template <typename T>
class Handle {
 public:
  Handle() = default;
  // `init` is e.g. uv_timer_init; the handle is never left uninitialised.
  template <typename Init>
  Handle(uv_loop_t& loop, Init init) : raw_(new T{}) {
    RELEASE_ASSERT(init(&loop, raw_) == 0);
  }
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : raw_(std::exchange(other.raw_, nullptr)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      raw_ = std::exchange(other.raw_, nullptr);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  T* get() const { return raw_; }
  T* operator->() const { return raw_; }
  explicit operator bool() const { return raw_ != nullptr; }

  // Adopts a handle initialised elsewhere (e.g. by uv_accept's target).
  static Handle adopt(T* raw) {
    Handle h;
    h.raw_ = raw;
    return h;
  }

  void reset() {
    if (raw_ != nullptr) {
      raw_->data = nullptr;  // late callbacks (e.g. UV_ECANCELED writes) must not reach the owner
      auto* h = reinterpret_cast<uv_handle_t*>(std::exchange(raw_, nullptr));
      if (!uv_is_closing(h)) {
        uv_close(h, [](uv_handle_t* closed) noexcept { delete reinterpret_cast<T*>(closed); });
      }
    }
  }

 private:
  T* raw_ = nullptr;
};

}  // namespace proxy::uv
