// SPDX-License-Identifier: Apache-2.0
// The common part of client transactions (RFC 3261 §17.1): the request we sent
// (with our Via on top), its serialized bytes for retransmission, and the
// routing layer's response handler. The TransactionLayer owns every client
// transaction; callers know them only by ClientTransactionId. Shard-thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "proxy/transaction/transaction.h"

namespace proxy::transaction {

using ClientTransactionId = uint64_t;  // 0: no transaction (ACK, BENOTIFY are sent without one)

// Receives every response the transaction passes up: provisionals (final=false),
// the final response (final=true; for a non-INVITE exactly one, real or synthetic),
// and for an INVITE further 2xx after the first (RFC 6026 §8.4: forks and
// retransmissions a proxy must forward).
using ResponseHandler = std::function<void(sip::SipMessage&& response, bool final)>;

enum class ClientState : uint8_t {
  Calling,     // INVITE, nothing received yet (timers A, B)
  Trying,      // non-INVITE, nothing received yet (timers E, F)
  Proceeding,  // a provisional received
  Completed,   // a final received (INVITE: 300-699, ACK sent, timer D; non-INVITE: timer K)
  Accepted,    // INVITE: a 2xx received (RFC 6026 §8.4, timer M)
  Terminated,
};
std::string_view clientStateName(ClientState state);

class ClientTransaction : public Transaction {
 public:
  ClientState state() const { return state_; }
  const sip::SipMessage& request() const { return request_; }

  // Sends the request the first time and arms the timers.
  virtual void start() = 0;
  // A response matched this transaction (RFC 3261 §17.1.3).
  virtual void onResponse(sip::SipMessage&& response) = 0;
  // INVITE only (RFC 3261 §9.1); false when there is nothing left to cancel.
  virtual bool cancel() { return false; }
  // Stops all handler calls, e.g. because the routing context that owns it is gone.
  void detach();

 protected:
  ClientTransaction(TransactionHost& host, uint64_t id, const transport::Flow& flow,
                    sip::SipMessage&& request, ClientState initial, ResponseHandler handler);

  void setState(ClientState state) { state_ = state; }
  void deliver(sip::SipMessage&& response, bool final);
  // Retires, then hands the handler a response made from our own request.
  void failWith(int status);
  void retransmit();
  void onRetired() override { state_ = ClientState::Terminated; }

  sip::SipMessage request_;
  std::string bytes_;  // the serialized request, re-sent by timers A and E

 private:
  ClientState state_;
  ResponseHandler handler_;
  bool detached_ = false;
};

}  // namespace proxy::transaction
