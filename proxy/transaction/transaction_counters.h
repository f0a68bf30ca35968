// SPDX-License-Identifier: Apache-2.0
// The transaction layer's counters, interned once and bumped lock-free from any
// shard (see proxy/base/counters.h). Names are "transaction.<what>".
#pragma once

#include "proxy/base/counters.h"

namespace proxy::transaction {

struct TransactionCounters {
  counters::Counter server_created;
  counters::Counter client_created;
  counters::Counter
      retransmissions_sent;  // requests (A, E) and responses (G, re-sent on retransmission)
  counters::Counter retransmissions_absorbed;  // retransmitted requests and responses we swallowed
  counters::Counter timeouts;                  // timers B, F, H
  counters::Counter unmatched_responses;       // responses with no client transaction
  counters::Counter transport_errors;          // sends that failed (treated as 503)
  counters::Counter late_responses;            // TU responses refused by the state machine
  counters::Counter abandoned;                 // TU guard expiries (a TU that never answered)
  counters::Counter synthetic_failures;        // synthetic responses we could not build

  static const TransactionCounters& get();
};

}  // namespace proxy::transaction
