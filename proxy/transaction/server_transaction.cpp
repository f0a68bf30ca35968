// SPDX-License-Identifier: Apache-2.0
#include "proxy/transaction/server_transaction.h"

#include "proxy/transaction/transaction_counters.h"

namespace proxy::transaction {
namespace {

// Moves the callback out first so it may safely replace or drop itself.
void runOnce(std::function<void()>& cb) {
  if (auto local = std::exchange(cb, nullptr)) {
    local();
  }
}

}  // namespace

std::string_view serverStateName(ServerState state) {
  switch (state) {
    case ServerState::Trying:
      return "Trying";
    case ServerState::Proceeding:
      return "Proceeding";
    case ServerState::Completed:
      return "Completed";
    case ServerState::Confirmed:
      return "Confirmed";
    case ServerState::Accepted:
      return "Accepted";
    case ServerState::Terminated:
      return "Terminated";
  }
  return "?";
}

void ServerTransaction::resendLast() {
  if (last_response_.empty()) {
    return;
  }
  TransactionCounters::get().retransmissions_sent.add();
  send(last_response_);
}

void ServerTransaction::storeAndSend(std::string bytes) {
  last_response_ = std::move(bytes);
  send(last_response_);
}

void ServerTransaction::notifyTimeout() {
  TransactionCounters::get().timeouts.add();
  runOnce(on_timeout_);
}

void ServerTransaction::notifyTransportError() { runOnce(on_transport_error_); }

void ServerTransaction::onRetired() {
  state_ = ServerState::Terminated;
  on_timeout_ = nullptr;
  on_transport_error_ = nullptr;
  runOnce(on_terminated_);
}

}  // namespace proxy::transaction
