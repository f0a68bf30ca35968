// SPDX-License-Identifier: Apache-2.0
// Per-peer request rate limits: a token bucket per peer domain, refilled at
// `rate` tokens a second up to one second's worth (the burst). Each shard has
// its own limiter (no locks), so the limit applies per shard: a peer's requests
// are spread over the shards owning their target users. Shard thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace proxy::federation {

class TokenBucket {
 public:
  TokenBucket(uint32_t rate, int64_t now_ms) : tokens_(rate), last_ms_(now_ms) {}
  // Takes one token if there is one; `rate` 0 means unlimited.
  bool take(uint32_t rate, int64_t now_ms);

 private:
  double tokens_;
  int64_t last_ms_;
};

class PeerLimiter {
 public:
  // True when a request from `domain` may pass now.
  bool allow(std::string_view domain, uint32_t rate, int64_t now_ms);
  size_t size() const { return buckets_.size(); }

 private:
  static constexpr size_t kMaxPeers = 10000;  // open policy: bounded however many domains call
  std::unordered_map<std::string, TokenBucket> buckets_;
};

}  // namespace proxy::federation
