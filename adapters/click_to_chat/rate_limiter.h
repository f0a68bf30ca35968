// SPDX-License-Identifier: Apache-2.0
// A sliding-window limit: at most `limit` events in any `window_ms`. One per visitor, so the
// memory is bounded by `limit` timestamps each.
#pragma once

#include <cstdint>
#include <deque>

namespace adapters::click_to_chat {

class RateLimiter {
 public:
  RateLimiter(uint32_t limit, int64_t window_ms) : limit_(limit), window_ms_(window_ms) {}

  // Records the event and returns true when it is within the limit; false (not recorded) when
  // it is one too many.
  bool allow(int64_t now_ms) {
    while (!stamps_.empty() && now_ms - stamps_.front() >= window_ms_) {
      stamps_.pop_front();
    }
    if (stamps_.size() >= limit_) {
      return false;
    }
    stamps_.push_back(now_ms);
    return true;
  }

 private:
  uint32_t limit_;
  int64_t window_ms_;
  std::deque<int64_t> stamps_;
};

}  // namespace adapters::click_to_chat
