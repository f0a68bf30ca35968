// SPDX-License-Identifier: Apache-2.0
#include "proxy/transaction/non_invite_client_transaction.h"

#include <algorithm>

#include "proxy/transaction/transaction_counters.h"

namespace proxy::transaction {

NonInviteClientTransaction::NonInviteClientTransaction(TransactionHost& host, uint64_t id,
                                                       const transport::Flow& flow,
                                                       sip::SipMessage&& request,
                                                       ResponseHandler handler)
    : ClientTransaction(host, id, flow, std::move(request), ClientState::Trying,
                        std::move(handler)) {}

bool NonInviteClientTransaction::open() const {
  return state() == ClientState::Trying || state() == ClientState::Proceeding;
}

void NonInviteClientTransaction::start() {
  send(bytes_);
  if (!reliable()) {
    timer_e_ms_ = timers().t1_ms;
    arm(TimerSlot::Retransmit, timer_e_ms_);
  }
  arm(TimerSlot::Timeout, timers().sixtyFourT1());  // timer F
}

void NonInviteClientTransaction::onResponse(sip::SipMessage&& response) {
  if (!open()) {
    TransactionCounters::get().retransmissions_absorbed.add();  // Completed: timer K absorbs
    return;
  }
  if (response.statusCode() < 200) {
    setState(ClientState::Proceeding);
    deliver(std::move(response), false);
    return;
  }
  // RFC 3261 §17.1.2.2: Completed; timer K = T4 unreliable, zero reliable.
  setState(ClientState::Completed);
  disarm(TimerSlot::Retransmit);
  arm(TimerSlot::Timeout, reliable() ? 0 : timers().t4_ms);
  deliver(std::move(response), true);
  detach();  // one final per non-INVITE transaction
}

void NonInviteClientTransaction::onTimer(TimerSlot slot) {
  if (slot == TimerSlot::Retransmit) {
    if (!open()) {
      return;
    }
    // RFC 3261 §17.1.2.2: timer E doubles up to T2; in Proceeding it is T2.
    retransmit();
    timer_e_ms_ = state() == ClientState::Proceeding ? timers().t2_ms
                                                     : std::min(timer_e_ms_ * 2, timers().t2_ms);
    arm(TimerSlot::Retransmit, timer_e_ms_);
    return;
  }
  if (open()) {  // timer F
    TransactionCounters::get().timeouts.add();
    failWith(408);
    return;
  }
  retire();  // timer K
}

void NonInviteClientTransaction::onTransportError() {
  if (open()) {
    failWith(503);  // RFC 3261 §8.1.3.1
  }
}

}  // namespace proxy::transaction
