// SPDX-License-Identifier: Apache-2.0
// Nonce-count replay protection (RFC 7616 §3.4: nc must grow with every request
// on one nonce). Remembers, per nonce, the highest nc accepted. The table is
// bounded: a sweep drops the nonces that have expired anyway, and at the hard
// cap the oldest-issued nonce goes. A nonce that is absent but sorts no later
// than the last one evicted may have been used already, so it is refused
// (the caller answers stale=true and the client takes a fresh nonce).
// One table per shard, used only on that shard's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>

#include "core-server/registrar/nonce.h"

namespace core::registrar {

class NonceCountTable {
 public:
  explicit NonceCountTable(size_t max_entries) : max_entries_(max_entries) {}

  // Records `nc` for `nonce` (one of ours, already verified) and returns true
  // when it is higher than any nc accepted before on that nonce; false for a
  // replay or a nonce whose history may have been evicted.
  bool accept(std::string_view nonce, uint32_t nc);

  // Drops every nonce issued before `oldest_live` (their nonces are expired).
  void sweep(int64_t oldest_live);

  size_t size() const { return highest_.size(); }

 private:
  // Keyed by (issue time, random): 16 bytes instead of the 64-character nonce
  // text, and the key order is issue order, so begin() is the oldest.
  std::map<NonceId, uint32_t> highest_;
  size_t max_entries_;
  std::optional<NonceId> evicted_up_to_;  // the greatest key ever evicted at the cap
};

}  // namespace core::registrar
