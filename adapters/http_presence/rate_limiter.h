// SPDX-License-Identifier: Apache-2.0
// A token bucket per API token: `rate` requests per second on average, bursts up to `burst`.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace adapters::http_presence {

class RateLimiter {
 public:
  RateLimiter(double rate, double burst) : rate_(rate), burst_(burst) {}

  // 0 when the request may go ahead, otherwise the seconds to wait (Retry-After, at least 1).
  uint32_t admit(const std::string& key, int64_t now_ms) {
    Bucket& b = buckets_.try_emplace(key, Bucket{burst_, now_ms}).first->second;
    const double elapsed_s = static_cast<double>(std::max<int64_t>(0, now_ms - b.updated_ms)) / 1e3;
    b.tokens = std::min(burst_, b.tokens + elapsed_s * rate_);
    b.updated_ms = now_ms;
    if (b.tokens >= 1.0) {
      b.tokens -= 1.0;
      return 0;
    }
    return static_cast<uint32_t>(std::max(1.0, std::ceil((1.0 - b.tokens) / rate_)));
  }

 private:
  struct Bucket {
    double tokens;
    int64_t updated_ms;
  };
  double rate_;
  double burst_;
  std::unordered_map<std::string, Bucket> buckets_;  // one per configured token: bounded
};

}  // namespace adapters::http_presence
