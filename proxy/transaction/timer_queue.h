// SPDX-License-Identifier: Apache-2.0
// One deadline heap per TransactionLayer instead of one uv handle per
// transaction. Entries are never removed early: each names a transaction, a
// timer slot and the slot's generation, and the layer ignores entries whose
// generation is stale (cancelled or re-armed). Stale entries live until their
// own deadline or until the layer compacts the queue. Single-threaded.
#pragma once

#include <cstdint>
#include <optional>
#include <queue>
#include <vector>

namespace proxy::transaction {

// Each transaction has one timer per slot; arming a slot replaces its previous deadline.
enum class TimerSlot : uint8_t {
  Retransmit = 0,  // A, E, G
  Timeout = 1,     // B, D, F, H, I, J, K, L, M and the TU guard
  Failure = 2,     // a transport failure, handled from runTimers()
};
inline constexpr size_t kTimerSlots = 3;

struct TimerEntry {
  int64_t deadline_ms = 0;
  uint64_t sequence = 0;  // ties fire in arming order
  uint64_t transaction = 0;
  TimerSlot slot = TimerSlot::Retransmit;
  uint32_t generation = 0;
};

class TimerQueue {
 public:
  void push(int64_t deadline_ms, uint64_t transaction, TimerSlot slot, uint32_t generation);
  // Removes and returns the earliest entry due at `now_ms`, if any.
  std::optional<TimerEntry> popDue(int64_t now_ms);
  std::optional<int64_t> nextDeadline() const;
  size_t size() const { return heap_.size(); }
  // Drops every entry for which `keep` is false (stale generations), in O(n).
  template <typename Keep>
  void compact(Keep keep) {
    std::vector<TimerEntry> kept;
    kept.reserve(heap_.size() / 2);
    while (!heap_.empty()) {
      if (keep(heap_.top())) {
        kept.push_back(heap_.top());
      }
      heap_.pop();
    }
    heap_ = decltype(heap_)(Later{}, std::move(kept));
  }

 private:
  struct Later {
    bool operator()(const TimerEntry& a, const TimerEntry& b) const {
      return a.deadline_ms != b.deadline_ms ? a.deadline_ms > b.deadline_ms
                                            : a.sequence > b.sequence;
    }
  };
  std::priority_queue<TimerEntry, std::vector<TimerEntry>, Later> heap_;
  uint64_t next_sequence_ = 0;
};

}  // namespace proxy::transaction
