// SPDX-License-Identifier: Apache-2.0
#include "proxy/transaction/transaction_counters.h"

namespace proxy::transaction {

const TransactionCounters& TransactionCounters::get() {
  static const TransactionCounters instance{
      counters::get("transaction.server_created"),
      counters::get("transaction.client_created"),
      counters::get("transaction.retransmissions_sent"),
      counters::get("transaction.retransmissions_absorbed"),
      counters::get("transaction.timeouts"),
      counters::get("transaction.unmatched_responses"),
      counters::get("transaction.transport_errors"),
      counters::get("transaction.late_responses"),
      counters::get("transaction.abandoned"),
      counters::get("transaction.synthetic_failures"),
  };
  return instance;
}

}  // namespace proxy::transaction
