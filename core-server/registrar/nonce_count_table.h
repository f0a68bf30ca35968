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
#include <optional>
#include <string_view>
#include <vector>

#include "core-server/registrar/nonce.h"

namespace core::registrar {

class NonceCountTable {
 public:
  explicit NonceCountTable(size_t max_entries) : max_entries_(max_entries) {}

  // Records `nc` for `nonce` (one of ours, already verified) and returns true
  // when it is higher than any nc accepted before on that nonce; false for a
  // replay or a nonce whose history may have been evicted.
  bool accept(std::string_view nonce, uint32_t nc);
  // The same for a nonce already parsed (NonceKey::check's id).
  bool accept(const NonceId& id, uint32_t nc);

  // Drops every nonce issued before `oldest_live` (their nonces are expired).
  void sweep(int64_t oldest_live);

  size_t size() const { return size_; }

 private:
  // Keyed by (issue time, random): 16 bytes instead of the 64-character nonce
  // text. An open-addressing table (linear probing, no allocation per nonce)
  // finds a nonce's count; a min-heap of the same ids, in issue order, names
  // the oldest for the sweep and the cap. Every id is in both or in neither.
  struct Slot {
    NonceId id;
    uint32_t nc = 0;
    bool used = false;
  };
  Slot* find(const NonceId& id);
  void insert(const NonceId& id, uint32_t nc);
  void erase(const NonceId& id);
  void grow();
  void popOldest();  // removes the heap's top from both structures
  size_t home(const NonceId& id) const;

  std::vector<Slot> slots_;      // capacity a power of two, at most half full
  std::vector<NonceId> oldest_;  // min-heap by issue order
  size_t size_ = 0;
  size_t max_entries_;
  std::optional<NonceId> evicted_up_to_;  // the greatest key ever evicted at the cap
};

}  // namespace core::registrar
