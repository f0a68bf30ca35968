// SPDX-License-Identifier: Apache-2.0
// The non-INVITE server transaction (RFC 3261 §17.2.2): Trying → Proceeding on a
// provisional → Completed on a final, then timer J (64*T1 unreliable, zero
// reliable) absorbs request retransmissions. Created and owned by the
// TransactionLayer; shard-thread only.
#pragma once

#include "proxy/transaction/server_transaction.h"

namespace proxy::transaction {

class NonInviteServerTransaction final : public ServerTransaction {
 public:
  NonInviteServerTransaction(TransactionHost& host, uint64_t id, const transport::Flow& flow,
                             sip::Method method);

  // Arms the TU guard; nothing is sent (RFC 4320: no automatic 100 for non-INVITE).
  void start();

  bool respond(int status, std::string bytes) override;
  void onRetransmission() override;

 protected:
  void onTimer(TimerSlot slot) override;
  void onTransportError() override;
};

}  // namespace proxy::transaction
