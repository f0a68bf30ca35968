// SPDX-License-Identifier: Apache-2.0
#include "proxy/transaction/transaction.h"

namespace proxy::transaction {

void Transaction::fire(TimerSlot slot) {
  if (slot == TimerSlot::Failure) {
    onTransportError();
  } else {
    onTimer(slot);
  }
}

void Transaction::arm(TimerSlot slot, uint32_t delay_ms) {
  if (retired_) {
    return;
  }
  const uint32_t generation = ++generations_[static_cast<size_t>(slot)];
  host_.armTimer(*this, slot, generation, delay_ms);
}

void Transaction::disarmAll() {
  for (auto& generation : generations_) {
    ++generation;
  }
}

void Transaction::retire() {
  if (retired_) {
    return;
  }
  disarmAll();
  retired_ = true;
  host_.retire(*this);
  onRetired();
}

}  // namespace proxy::transaction
