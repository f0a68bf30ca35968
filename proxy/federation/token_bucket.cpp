// SPDX-License-Identifier: Apache-2.0
#include "proxy/federation/token_bucket.h"

#include <algorithm>

namespace proxy::federation {

bool TokenBucket::take(uint32_t rate, int64_t now_ms) {
  if (rate == 0) {
    return true;
  }
  if (now_ms > last_ms_) {
    tokens_ =
        std::min<double>(rate, tokens_ + static_cast<double>(now_ms - last_ms_) * rate / 1000.0);
    last_ms_ = now_ms;
  }
  if (tokens_ < 1.0) {
    return false;
  }
  tokens_ -= 1.0;
  return true;
}

bool PeerLimiter::allow(std::string_view domain, uint32_t rate, int64_t now_ms) {
  if (rate == 0) {
    return true;
  }
  auto it = buckets_.find(std::string(domain));
  if (it == buckets_.end()) {
    if (buckets_.size() >= kMaxPeers) {
      buckets_.clear();  // forgetting buckets only refills them
    }
    it = buckets_.emplace(std::string(domain), TokenBucket(rate, now_ms)).first;
  }
  return it->second.take(rate, now_ms);
}

}  // namespace proxy::federation
