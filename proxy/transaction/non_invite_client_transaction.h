// SPDX-License-Identifier: Apache-2.0
// The non-INVITE client transaction (RFC 3261 §17.1.2): timer E retransmits on
// unreliable transports (T1 doubling to T2, then T2 once a provisional came),
// timer F = 64*T1 delivers a synthetic 408, timer K = T4 (zero reliable) absorbs
// retransmitted finals. Also used for the CANCELs we generate. Owned by the
// TransactionLayer; shard-thread only.
#pragma once

#include "proxy/transaction/client_transaction.h"

namespace proxy::transaction {

class NonInviteClientTransaction final : public ClientTransaction {
 public:
  NonInviteClientTransaction(TransactionHost& host, uint64_t id, const transport::Flow& flow,
                             sip::SipMessage&& request, ResponseHandler handler);

  void start() override;
  void onResponse(sip::SipMessage&& response) override;

 protected:
  void onTimer(TimerSlot slot) override;
  void onTransportError() override;

 private:
  bool open() const;
  uint32_t timer_e_ms_ = 0;
};

}  // namespace proxy::transaction
