// SPDX-License-Identifier: Apache-2.0
// The INVITE server transaction (RFC 3261 §17.2.1 with the RFC 6026 Accepted
// state). It sends 100 Trying as soon as it is created, rather than after
// 200 ms: a proxy rarely answers an INVITE that fast, and an immediate 100
// stops the upstream's timer A at once (RFC 3261 §16.2 allows it). Created and
// owned by the TransactionLayer; shard-thread only.
#pragma once

#include "proxy/transaction/server_transaction.h"

namespace proxy::transaction {

class InviteServerTransaction final : public ServerTransaction {
 public:
  // `legacy_ack_prefix`: for RFC 2543 requests, the ACK key without a To tag
  // (legacyServerKey(request, "INVITE", "")); empty for RFC 3261 requests.
  InviteServerTransaction(TransactionHost& host, uint64_t id, const transport::Flow& flow,
                          std::string legacy_ack_prefix);

  // Sends 100 Trying (built from `request`) and arms the TU guard.
  void start(const sip::SipMessage& request);

  bool respond(int status, std::string bytes) override;
  void onRetransmission() override;
  bool onAck() override;

 protected:
  void onTimer(TimerSlot slot) override;
  void onTransportError() override;

 private:
  void sendProvisional(std::string bytes);
  void sendAccepted(std::string bytes);
  void sendRejection(std::string bytes);
  void indexLegacyAck();

  uint32_t timer_g_ms_ = 0;
  std::string legacy_ack_prefix_;
};

}  // namespace proxy::transaction
