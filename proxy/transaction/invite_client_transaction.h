// SPDX-License-Identifier: Apache-2.0
// The INVITE client transaction (RFC 3261 §17.1.1 with the RFC 6026 Accepted
// state). Timer A retransmits on unreliable transports, timer B = 64*T1 gives a
// synthetic 408; a 300-699 is ACKed here (timer D absorbs its retransmissions);
// a 2xx moves to Accepted, where further 2xx still reach the handler for 64*T1
// (timer M). It also owns CANCEL (§9.1): sent only after a provisional, never
// after a final. Owned by the TransactionLayer; shard-thread only.
#pragma once

#include "proxy/transaction/client_transaction.h"

namespace proxy::transaction {

class InviteClientTransaction final : public ClientTransaction {
 public:
  InviteClientTransaction(TransactionHost& host, uint64_t id, const transport::Flow& flow,
                          sip::SipMessage&& request, ResponseHandler handler);

  void start() override;
  void onResponse(sip::SipMessage&& response) override;
  bool cancel() override;

 protected:
  void onTimer(TimerSlot slot) override;
  void onTransportError() override;

 private:
  bool open() const;
  void onProvisional(sip::SipMessage&& response);
  void onSuccess(sip::SipMessage&& response);
  void onRejection(sip::SipMessage&& response);
  void onTimeout();
  void sendCancel();

  uint32_t timer_a_ms_ = 0;
  bool cancel_pending_ = false;  // cancel() before any provisional (§9.1)
  bool cancel_sent_ = false;
  std::string ack_;  // the ACK for our 300-699, re-sent on its retransmissions
};

}  // namespace proxy::transaction
