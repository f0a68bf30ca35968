// SPDX-License-Identifier: Apache-2.0
// Per-source limits. SourceConnectionLimiter caps stream connections per remote
// IP across the whole process without a lock (a fixed table of atomic counters,
// shared by every shard). SourceRateLimiter is a token bucket per remote IP for
// one shard's messages; it lives on that shard and is not thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "proxy/transport/transport.h"

namespace proxy::transport {

// The IP part of an address (no port), usable as a map key.
struct IpKey {
  uint8_t bytes[16] = {};
  uint8_t family = 0;
  static IpKey of(const Address& a);
  bool operator==(const IpKey& o) const;
  size_t hash() const;
};
struct IpKeyHash {
  size_t operator()(const IpKey& k) const { return k.hash(); }
};

class SourceConnectionLimiter {
 public:
  // `limit` connections per IP; 0 = unlimited.
  explicit SourceConnectionLimiter(size_t limit);
  // Counts one more connection from `remote`'s IP; false (and nothing counted) when full.
  // Thread-safe. IPs sharing a slot share a count, so the limit errs on the strict side
  // only in the rare case of a hash collision between busy sources.
  bool tryAcquire(const Address& remote);
  // Undoes one successful tryAcquire. Thread-safe.
  void release(const Address& remote);

 private:
  static constexpr size_t kSlots = 1 << 16;
  std::atomic<uint32_t>& slot(const Address& remote);

  size_t limit_;
  std::unique_ptr<std::atomic<uint32_t>[]> slots_;
};

class SourceRateLimiter {
 public:
  // `per_second` messages per IP with a one-second burst; 0 = unlimited.
  explicit SourceRateLimiter(uint32_t per_second) : per_second_(per_second) {}
  bool enabled() const { return per_second_ != 0; }
  // True when a message from `remote` at `now_ms` fits the budget (and takes it).
  bool allow(const Address& remote, uint64_t now_ms);
  size_t trackedSources() const { return buckets_.size(); }

 private:
  struct Bucket {
    uint64_t milli_tokens = 0;  // 1000 per message
    uint64_t last_ms = 0;
  };
  static constexpr size_t kMaxTracked = 100'000;
  void prune(uint64_t now_ms);

  uint32_t per_second_;
  uint64_t last_prune_ms_ = 0;
  std::unordered_map<IpKey, Bucket, IpKeyHash> buckets_;
};

}  // namespace proxy::transport
