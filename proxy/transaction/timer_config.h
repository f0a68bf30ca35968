// SPDX-License-Identifier: Apache-2.0
// Timer values for the RFC 3261 §17 transaction layer (§17.1.1.1 T1/T2/T4 and
// the timers derived from them). One TimerConfig is copied into each shard's
// TransactionLayer at construction; tests shrink it or drive a ManualClock.
#pragma once

#include <cstdint>

namespace proxy::transaction {

struct TimerConfig {
  uint32_t t1_ms = 500;  // RFC 3261 §17.1.1.1: RTT estimate
  uint32_t t2_ms =
      4000;  // maximum retransmit interval for non-INVITE requests and INVITE responses
  uint32_t t4_ms = 5000;  // maximum time a message stays in the network
  // Timer D (§17.1.1.2): "at least 32 seconds" on unreliable transports.
  uint32_t timer_d_ms = 32'000;
  // Leak guard, not an RFC timer: a server transaction that never gets a final
  // response from its TU, or an INVITE client transaction stuck in Proceeding
  // (the routing layer owns Timer C, §16.8), ends after this long without a
  // provisional. The client side then delivers a synthetic 408.
  uint32_t tu_guard_ms = 300'000;

  uint32_t sixtyFourT1() const { return 64 * t1_ms; }  // timers B, F, H, J, L, M
};

}  // namespace proxy::transaction
