// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/nonce_count_table.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "core-server/registrar/nonce.h"

namespace core::registrar {
namespace {

constexpr size_t kInitialSlots = 64;

// std::push_heap/pop_heap keep the greatest on top: with `greater` it is the oldest.
constexpr std::greater<NonceId> kOlderFirst{};

}  // namespace

size_t NonceCountTable::home(const NonceId& id) const {
  // The random half of our nonces is uniform already; the issue time is mixed
  // in so that ids made up by a caller still spread (only ours arrive here).
  const uint64_t h = (id.random ^ static_cast<uint64_t>(id.issued)) * 0x9e3779b97f4a7c15ULL;
  return static_cast<size_t>(h >> 32) & (slots_.size() - 1);
}

NonceCountTable::Slot* NonceCountTable::find(const NonceId& id) {
  if (slots_.empty()) {
    return nullptr;
  }
  const size_t mask = slots_.size() - 1;
  for (size_t i = home(id);; i = (i + 1) & mask) {
    Slot& slot = slots_[i];
    if (!slot.used) {
      return nullptr;
    }
    if (slot.id == id) {
      return &slot;
    }
  }
}

void NonceCountTable::grow() {
  std::vector<Slot> old(std::max(kInitialSlots, 2 * slots_.size()));
  old.swap(slots_);
  const size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.used) {
      size_t i = home(slot.id);
      while (slots_[i].used) {
        i = (i + 1) & mask;
      }
      slots_[i] = slot;
    }
  }
}

void NonceCountTable::insert(const NonceId& id, uint32_t nc) {
  if (2 * (size_ + 1) > slots_.size()) {
    grow();
  }
  const size_t mask = slots_.size() - 1;
  size_t i = home(id);
  while (slots_[i].used) {
    i = (i + 1) & mask;
  }
  slots_[i] = Slot{id, nc, true};
  oldest_.push_back(id);
  std::push_heap(oldest_.begin(), oldest_.end(), kOlderFirst);
  ++size_;
}

void NonceCountTable::erase(const NonceId& id) {
  const size_t mask = slots_.size() - 1;
  size_t i = home(id);
  while (!(slots_[i].used && slots_[i].id == id)) {
    i = (i + 1) & mask;  // present: the caller took it from the heap
  }
  // Backward-shift deletion: move later members of the probe run into the hole
  // when their home does not lie cyclically in (hole, j], so no tombstones.
  size_t hole = i;
  for (size_t j = (hole + 1) & mask; slots_[j].used; j = (j + 1) & mask) {
    const size_t h = home(slots_[j].id);
    const bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
    if (!stays) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = Slot{};
  --size_;
}

void NonceCountTable::popOldest() {
  std::pop_heap(oldest_.begin(), oldest_.end(), kOlderFirst);
  erase(oldest_.back());
  oldest_.pop_back();
}

bool NonceCountTable::accept(std::string_view nonce, uint32_t nc) {
  const auto id = NonceKey::idOf(nonce);
  if (!id) {
    return false;  // not one of ours (the caller checked the MAC; be safe anyway)
  }
  return accept(*id, nc);
}

bool NonceCountTable::accept(const NonceId& id, uint32_t nc) {
  if (Slot* slot = find(id)) {
    if (nc <= slot->nc) {
      return false;  // replay (or a reordered request; the client retries)
    }
    slot->nc = nc;
    return true;
  }
  // The heap pops in issue order, so every evicted key is <= evicted_up_to_.
  auto maybe_evicted = [&] { return evicted_up_to_ && id <= *evicted_up_to_; };
  if (maybe_evicted()) {
    return false;  // its history may have been evicted: we cannot rule out a replay
  }
  while (max_entries_ > 0 && size_ >= max_entries_) {
    const NonceId oldest = oldest_.front();
    evicted_up_to_ = evicted_up_to_ ? std::max(*evicted_up_to_, oldest) : oldest;
    popOldest();
  }
  if (maybe_evicted()) {
    return false;  // older than what we just evicted to make room
  }
  insert(id, nc);
  return true;
}

void NonceCountTable::sweep(int64_t oldest_live) {
  while (!oldest_.empty() && oldest_.front().issued < oldest_live) {
    popOldest();
  }
}

}  // namespace core::registrar
