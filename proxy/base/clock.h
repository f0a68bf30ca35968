// SPDX-License-Identifier: Apache-2.0
// Time sources. Code that needs "now" takes a Clock& so tests can control time.
#pragma once

#include <chrono>
#include <cstdint>

namespace proxy {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic milliseconds, for timers and expiry arithmetic inside one process.
  virtual int64_t monotonicMs() const = 0;
  // Wall-clock seconds since the epoch, for anything persisted or sent on the wire.
  virtual int64_t unixSeconds() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t monotonicMs() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
  }
  int64_t unixSeconds() const override {
    using namespace std::chrono;
    return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
  }
  static SystemClock& instance() {
    static SystemClock clock;
    return clock;
  }
};

// A clock tests move by hand.
class ManualClock final : public Clock {
 public:
  int64_t monotonicMs() const override { return mono_ms_; }
  int64_t unixSeconds() const override { return unix_s_; }
  void advanceMs(int64_t ms) {
    mono_ms_ += ms;
    unix_s_ = base_unix_s_ + mono_ms_ / 1000;
  }

 private:
  int64_t mono_ms_ = 0;
  int64_t base_unix_s_ = 1'700'000'000;
  int64_t unix_s_ = base_unix_s_;
};

}  // namespace proxy
