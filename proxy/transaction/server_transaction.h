// SPDX-License-Identifier: Apache-2.0
// A server transaction (RFC 3261 §17.2): what the routing layer answers through.
// The TransactionLayer creates one per new request and owns it; the routing
// layer holds its id (ServerTransactionId) and looks it up with
// TransactionLayer::findServer(), which returns nullptr once it has terminated.
// A raw pointer is valid until the current call into the layer (or the current
// callback) returns. Shard-thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "proxy/transaction/transaction.h"

namespace proxy::transaction {

using ServerTransactionId = uint64_t;  // 0 is never a transaction

enum class ServerState : uint8_t {
  Trying,      // non-INVITE, nothing sent yet
  Proceeding,  // a provisional sent (INVITE starts here: 100 Trying goes out at once)
  Completed,   // final sent; absorbing retransmissions (INVITE 300-699, non-INVITE any final)
  Confirmed,   // INVITE: ACK received, absorbing ACK retransmissions (timer I)
  Accepted,    // INVITE: 2xx sent (RFC 6026 §8.5), absorbing INVITE retransmissions (timer L)
  Terminated,
};
std::string_view serverStateName(ServerState state);

class ServerTransaction : public Transaction {
 public:
  sip::Method method() const { return method_; }
  bool isInvite() const { return method_ == sip::Method::Invite; }
  ServerState state() const { return state_; }

  // Sends a response (`bytes`: a serialized response to this request, from
  // sip::ResponseBuilder or a forwarded response) down the request's flow and
  // advances the state machine. Returns false, sending nothing, when the state
  // does not allow it (a final was already sent; non-2xx after a 2xx).
  virtual bool respond(int status, std::string bytes) = 0;

  // Runs once when the transaction terminates, for any reason. It may call into
  // the layer; the transaction is destroyed only after it returns.
  void setOnTerminated(std::function<void()> cb) { on_terminated_ = std::move(cb); }
  // INVITE only: timer H fired, no ACK came for our 300-699 (RFC 3261 §17.2.1).
  void setOnTimeout(std::function<void()> cb) { on_timeout_ = std::move(cb); }
  // Sending a response failed (RFC 3261 §17.2.4); the transaction terminates.
  void setOnTransportError(std::function<void()> cb) { on_transport_error_ = std::move(cb); }
  void setUserData(void* data) { user_data_ = data; }
  void* userData() const { return user_data_; }

  // For the layer. The request came again (RFC 3261 §17.2.1/§17.2.2).
  virtual void onRetransmission() = 0;
  // For the layer. An ACK matched this transaction; true if it was absorbed,
  // false if it belongs to the TU (2xx ACK in Accepted, RFC 6026 §8.7).
  virtual bool onAck() { return false; }

 protected:
  ServerTransaction(TransactionHost& host, uint64_t id, const transport::Flow& flow,
                    sip::Method method, ServerState initial)
      : Transaction(host, Kind::Server, id, flow), method_(method), state_(initial) {}

  void setState(ServerState state) { state_ = state; }
  // Sends the stored last response again.
  void resendLast();
  void storeAndSend(std::string bytes);
  void notifyTimeout();
  void notifyTransportError();
  void onRetired() override;

  std::string last_response_;  // the most recent provisional or final, for retransmission

 private:
  sip::Method method_;
  ServerState state_;
  void* user_data_ = nullptr;
  std::function<void()> on_terminated_, on_timeout_, on_transport_error_;
};

}  // namespace proxy::transaction
