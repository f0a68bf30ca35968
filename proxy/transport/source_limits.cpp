// SPDX-License-Identifier: Apache-2.0
#include "proxy/transport/source_limits.h"

#include <algorithm>
#include <cstring>

namespace proxy::transport {

IpKey IpKey::of(const Address& a) {
  IpKey k;
  k.family = static_cast<uint8_t>(a.family());
  if (a.family() == AF_INET) {
    const auto& sin = reinterpret_cast<const sockaddr_in&>(a.storage);
    std::memcpy(k.bytes, &sin.sin_addr, sizeof(sin.sin_addr));
  } else if (a.family() == AF_INET6) {
    const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(a.storage);
    std::memcpy(k.bytes, &sin6.sin6_addr, sizeof(sin6.sin6_addr));
  }
  return k;
}

bool IpKey::operator==(const IpKey& o) const {
  return family == o.family && std::memcmp(bytes, o.bytes, sizeof(bytes)) == 0;
}

size_t IpKey::hash() const {
  uint64_t h = 1469598103934665603ull ^ family;
  for (uint8_t b : bytes) {
    h = (h ^ b) * 1099511628211ull;
  }
  return static_cast<size_t>(h ^ (h >> 32));
}

SourceConnectionLimiter::SourceConnectionLimiter(size_t limit)
    : limit_(limit), slots_(new std::atomic<uint32_t>[kSlots]) {
  for (size_t i = 0; i < kSlots; ++i) {
    slots_[i].store(0, std::memory_order_relaxed);
  }
}

std::atomic<uint32_t>& SourceConnectionLimiter::slot(const Address& remote) {
  return slots_[IpKey::of(remote).hash() % kSlots];
}

bool SourceConnectionLimiter::tryAcquire(const Address& remote) {
  if (limit_ == 0) {
    return true;
  }
  auto& count = slot(remote);
  if (count.fetch_add(1, std::memory_order_relaxed) >= limit_) {
    count.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  return true;
}

void SourceConnectionLimiter::release(const Address& remote) {
  if (limit_ != 0) {
    slot(remote).fetch_sub(1, std::memory_order_relaxed);
  }
}

bool SourceRateLimiter::allow(const Address& remote, uint64_t now_ms) {
  if (per_second_ == 0) {
    return true;
  }
  uint64_t capacity = uint64_t{per_second_} * 1000;
  IpKey key = IpKey::of(remote);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= kMaxTracked) {
      prune(now_ms);
      if (buckets_.size() >= kMaxTracked) {
        return true;  // flooded with sources: fail open rather than refuse everyone
      }
    }
    it = buckets_.emplace(key, Bucket{capacity, now_ms}).first;
  }
  Bucket& b = it->second;
  // Refill: per_second tokens per 1000 ms, i.e. per_second milli-tokens per ms.
  uint64_t elapsed = now_ms > b.last_ms ? std::min<uint64_t>(now_ms - b.last_ms, 1000) : 0;
  b.milli_tokens = std::min(capacity, b.milli_tokens + elapsed * per_second_);
  b.last_ms = now_ms;
  if (b.milli_tokens < 1000) {
    return false;
  }
  b.milli_tokens -= 1000;
  return true;
}

void SourceRateLimiter::prune(uint64_t now_ms) {
  if (now_ms - last_prune_ms_ < 1000) {
    return;  // at most once a second, so a flood of new sources cannot make every insert O(n)
  }
  last_prune_ms_ = now_ms;
  // A bucket idle for a second has refilled completely: forgetting it changes nothing.
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    it = now_ms - it->second.last_ms >= 1000 ? buckets_.erase(it) : std::next(it);
  }
}

}  // namespace proxy::transport
