// SPDX-License-Identifier: Apache-2.0
// Per-peer request rate limits that hold for the whole server, however many
// shards a peer's requests land on (they are spread over the shards owning
// their target users). One limiter is shared by every shard's edge; each
// check is a compare-exchange on one atomic word, no lock.
//
// A bucket is the GCRA form of a token bucket (ITU-T I.371's virtual
// scheduling): instead of (tokens, last refill) it keeps one number, the time
// at which the bucket would be full again. A request at `now` passes when that
// time is at most one second's worth of requests ahead of `now` (the burst is
// `rate` requests, as a token bucket refilled at `rate`/s up to `rate`), and
// moves it on by 1/rate. One 64-bit word is updated atomically, with nothing to
// pack and no rounding of fractional tokens.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "proxy/config/config.h"

namespace proxy::federation {

class RateBucket {
 public:
  // Takes one request's worth if the bucket allows it; `rate` 0 means unlimited.
  // Any thread.
  bool take(uint32_t rate, int64_t now_ms);
  // True when the bucket is full at `now_ms` (idle for a second or more).
  bool idleAt(int64_t now_ms) const;

 private:
  // When the bucket is full again, in nanoseconds of the callers' clock.
  std::atomic<int64_t> full_at_ns_{0};
};

class PeerLimiter {
 public:
  explicit PeerLimiter(const config::FederationConfig& config);
  PeerLimiter(const PeerLimiter&) = delete;
  PeerLimiter& operator=(const PeerLimiter&) = delete;

  // True when a request from `domain` (lowercase) may pass now. Any thread.
  bool allow(std::string_view domain, uint32_t rate, int64_t now_ms);

  // The limiter every edge built from `config` shares (one per loaded
  // configuration, so one per server): made by the first shard's edge, kept
  // while any edge holds it. Locks, but only when an edge is built.
  static std::shared_ptr<PeerLimiter> sharedFor(const config::FederationConfig& config);

  // Unlisted domains (open policy) share a fixed table: a domain claims a free
  // or idle slot among kProbe from its hash's; when all are busy it shares its
  // home slot's bucket, which can only limit it sooner.
  static constexpr size_t kSlots = 4096;
  static constexpr size_t kProbe = 8;

 private:
  struct Slot {
    std::atomic<uint64_t> tag{0};  // the domain's hash (never 0); 0 = free
    RateBucket bucket;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  RateBucket& unlistedBucket(std::string_view domain, int64_t now_ms);

  std::unordered_map<std::string, size_t, Hash, std::equal_to<>> listed_;  // read-only
  std::unique_ptr<RateBucket[]> listed_buckets_;
  std::unique_ptr<Slot[]> unlisted_;
};

}  // namespace proxy::federation
