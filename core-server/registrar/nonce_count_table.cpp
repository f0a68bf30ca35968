// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/nonce_count_table.h"

#include <algorithm>

#include "core-server/registrar/nonce.h"

namespace core::registrar {

bool NonceCountTable::accept(std::string_view nonce, uint32_t nc) {
  const auto id = NonceKey::idOf(nonce);
  if (!id) {
    return false;  // not one of ours (the caller checked the MAC; be safe anyway)
  }
  auto it = highest_.find(*id);
  if (it != highest_.end()) {
    if (nc <= it->second) {
      return false;  // replay (or a reordered request; the client retries)
    }
    it->second = nc;
    return true;
  }
  // Keys sort by issue time, so every evicted key is <= evicted_up_to_.
  auto maybe_evicted = [&] { return evicted_up_to_ && *id <= *evicted_up_to_; };
  if (maybe_evicted()) {
    return false;  // its history may have been evicted: we cannot rule out a replay
  }
  while (max_entries_ > 0 && highest_.size() >= max_entries_) {
    auto oldest = highest_.begin();
    evicted_up_to_ = evicted_up_to_ ? std::max(*evicted_up_to_, oldest->first) : oldest->first;
    highest_.erase(oldest);
  }
  if (maybe_evicted()) {
    return false;  // older than what we just evicted to make room
  }
  highest_.emplace(*id, nc);
  return true;
}

void NonceCountTable::sweep(int64_t oldest_live) {
  while (!highest_.empty() && highest_.begin()->first.issued < oldest_live) {
    highest_.erase(highest_.begin());
  }
}

}  // namespace core::registrar
