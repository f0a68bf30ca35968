// SPDX-License-Identifier: Apache-2.0
#include "proxy/transaction/non_invite_server_transaction.h"

#include "proxy/transaction/transaction_counters.h"

namespace proxy::transaction {

NonInviteServerTransaction::NonInviteServerTransaction(TransactionHost& host, uint64_t id,
                                                       const transport::Flow& flow,
                                                       sip::Method method)
    : ServerTransaction(host, id, flow, method, ServerState::Trying) {}

void NonInviteServerTransaction::start() { arm(TimerSlot::Timeout, timers().tu_guard_ms); }

bool NonInviteServerTransaction::respond(int status, std::string bytes) {
  const bool open = state() == ServerState::Trying || state() == ServerState::Proceeding;
  if (!open || status < 100 || status > 699) {
    TransactionCounters::get().late_responses.add();
    return false;
  }
  if (status >= 200 && reliable()) {
    // Timer J is zero on a reliable flow: nothing will be re-sent, so nothing is kept
    // (and the bytes move to the transport instead of being copied).
    last_response_.clear();
    send(std::move(bytes));
  } else {
    storeAndSend(std::move(bytes));
  }
  if (status < 200) {
    setState(ServerState::Proceeding);
    arm(TimerSlot::Timeout, timers().tu_guard_ms);
  } else {
    // RFC 3261 §17.2.2: Completed; timer J = 64*T1 unreliable, zero reliable.
    setState(ServerState::Completed);
    arm(TimerSlot::Timeout, reliable() ? 0 : timers().sixtyFourT1());
  }
  return true;
}

void NonInviteServerTransaction::onRetransmission() {
  // RFC 3261 §17.2.2: discarded in Trying; the last response is re-sent afterwards.
  if (state() != ServerState::Trying) {
    resendLast();
  }
}

void NonInviteServerTransaction::onTimer(TimerSlot slot) {
  if (slot != TimerSlot::Timeout) {
    return;
  }
  if (state() != ServerState::Completed) {
    TransactionCounters::get().abandoned.add();  // the TU never sent a final response
  }
  retire();  // timer J, or the TU guard
}

void NonInviteServerTransaction::onTransportError() {
  notifyTransportError();
  retire();
}

}  // namespace proxy::transaction
