// SPDX-License-Identifier: Apache-2.0
#include "proxy/federation/token_bucket.h"

#include <algorithm>
#include <map>
#include <mutex>

namespace proxy::federation {
namespace {

constexpr int64_t kNsPerMs = 1'000'000;
constexpr int64_t kNsPerSecond = 1'000'000'000;

}  // namespace

bool RateBucket::take(uint32_t rate, int64_t now_ms) {
  if (rate == 0) {
    return true;
  }
  const int64_t now = now_ms * kNsPerMs;
  const int64_t interval = std::max<int64_t>(1, kNsPerSecond / rate);
  const int64_t burst = interval * (rate - 1);  // how far ahead of now it may be
  int64_t full_at = full_at_ns_.load(std::memory_order_relaxed);
  for (;;) {
    const int64_t from = std::max(full_at, now);
    if (from - now > burst) {
      return false;
    }
    // Relaxed: the word is all the state there is; nothing else is published.
    if (full_at_ns_.compare_exchange_weak(full_at, from + interval, std::memory_order_relaxed)) {
      return true;
    }
  }
}

bool RateBucket::idleAt(int64_t now_ms) const {
  return full_at_ns_.load(std::memory_order_relaxed) <= now_ms * kNsPerMs;
}

PeerLimiter::PeerLimiter(const config::FederationConfig& config)
    : listed_buckets_(std::make_unique<RateBucket[]>(config.peers.size())),
      unlisted_(std::make_unique<Slot[]>(kSlots)) {
  for (size_t i = 0; i < config.peers.size(); ++i) {
    listed_.emplace(config.peers[i].domain, i);
  }
}

bool PeerLimiter::allow(std::string_view domain, uint32_t rate, int64_t now_ms) {
  if (rate == 0) {
    return true;
  }
  auto it = listed_.find(domain);
  RateBucket& bucket =
      it != listed_.end() ? listed_buckets_[it->second] : unlistedBucket(domain, now_ms);
  return bucket.take(rate, now_ms);
}

RateBucket& PeerLimiter::unlistedBucket(std::string_view domain, int64_t now_ms) {
  const uint64_t hash = Hash()(domain);
  const uint64_t tag = hash | 1;
  const size_t home = hash % kSlots;
  for (size_t i = 0; i < kProbe; ++i) {
    Slot& slot = unlisted_[(home + i) % kSlots];
    if (slot.tag.load(std::memory_order_relaxed) == tag) {
      return slot.bucket;
    }
  }
  // A full (idle) bucket is as good as a new one: its slot can change hands. A
  // shard still finishing a check on it for the old domain costs the new one at
  // most that one request; two shards claiming two slots for one new domain at
  // once, at most one extra burst (the first slot in probe order wins after).
  for (size_t i = 0; i < kProbe; ++i) {
    Slot& slot = unlisted_[(home + i) % kSlots];
    uint64_t seen = slot.tag.load(std::memory_order_relaxed);
    if (seen == tag) {
      return slot.bucket;
    }
    if ((seen == 0 || slot.bucket.idleAt(now_ms)) &&
        slot.tag.compare_exchange_strong(seen, tag, std::memory_order_relaxed)) {
      return slot.bucket;
    }
    if (seen == tag) {
      return slot.bucket;  // another shard claimed it for this domain meanwhile
    }
  }
  return unlisted_[home].bucket;
}

std::shared_ptr<PeerLimiter> PeerLimiter::sharedFor(const config::FederationConfig& config) {
  static std::mutex mutex;
  static std::map<const config::FederationConfig*, std::weak_ptr<PeerLimiter>> limiters;
  std::lock_guard lock(mutex);
  std::erase_if(limiters, [](const auto& entry) { return entry.second.expired(); });
  std::weak_ptr<PeerLimiter>& slot = limiters[&config];
  std::shared_ptr<PeerLimiter> limiter = slot.lock();
  if (!limiter) {
    limiter = std::make_shared<PeerLimiter>(config);
    slot = limiter;
  }
  return limiter;
}

}  // namespace proxy::federation
