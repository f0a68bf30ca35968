// SPDX-License-Identifier: Apache-2.0
#include "proxy/transaction/timer_queue.h"

namespace proxy::transaction {

void TimerQueue::push(int64_t deadline_ms, uint64_t transaction, TimerSlot slot,
                      uint32_t generation) {
  heap_.push(TimerEntry{deadline_ms, next_sequence_++, transaction, slot, generation});
}

std::optional<TimerEntry> TimerQueue::popDue(int64_t now_ms) {
  if (heap_.empty() || heap_.top().deadline_ms > now_ms) {
    return std::nullopt;
  }
  TimerEntry entry = heap_.top();
  heap_.pop();
  return entry;
}

std::optional<int64_t> TimerQueue::nextDeadline() const {
  if (heap_.empty()) {
    return std::nullopt;
  }
  return heap_.top().deadline_ms;
}

}  // namespace proxy::transaction
