// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/flood_limiter.h"

#include "proxy/base/counters.h"

namespace core::im {

bool FloodLimiter::allow(std::string_view sender, int64_t now_ms) {
  static auto refused = proxy::counters::get("im.flood.refused");
  if (max_ == 0) {
    return true;
  }
  auto it = windows_.find(sender);
  if (it == windows_.end()) {
    it = windows_.emplace(std::string(sender), Window{now_ms, 0}).first;
  }
  Window& w = it->second;
  if (now_ms - w.start_ms >= window_ms_) {
    w = Window{now_ms, 0};
  }
  if (w.count >= max_) {
    refused.add();
    return false;
  }
  ++w.count;
  return true;
}

void FloodLimiter::sweep(int64_t now_ms) {
  std::erase_if(windows_,
                [&](const auto& entry) { return now_ms - entry.second.start_ms >= window_ms_; });
}

}  // namespace core::im
