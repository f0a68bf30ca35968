// SPDX-License-Identifier: Apache-2.0
// Per-sender flood limit for IM: at most `max` messages per sender in each
// fixed window of `window_ms`. Counted, so a flood is visible; a refused
// message gets a clear answer from the caller (nothing is silently lost).
// One instance per shard; stale senders are forgotten on sweep().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace core::im {

class FloodLimiter {
 public:
  // max == 0: unlimited.
  FloodLimiter(uint32_t max, int64_t window_ms) : max_(max), window_ms_(window_ms) {}

  // Counts one message from `sender` at `now_ms`; false when over the limit.
  bool allow(std::string_view sender, int64_t now_ms);
  // Forgets senders whose window ended before `now_ms`.
  void sweep(int64_t now_ms);
  size_t tracked() const { return windows_.size(); }

 private:
  struct Window {
    int64_t start_ms = 0;
    uint32_t count = 0;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  uint32_t max_;
  int64_t window_ms_;
  std::unordered_map<std::string, Window, Hash, std::equal_to<>> windows_;
};

}  // namespace core::im
