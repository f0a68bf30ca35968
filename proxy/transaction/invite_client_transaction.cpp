// SPDX-License-Identifier: Apache-2.0
#include "proxy/transaction/invite_client_transaction.h"

#include "proxy/base/log.h"
#include "proxy/transaction/request_builders.h"
#include "proxy/transaction/transaction_counters.h"

namespace proxy::transaction {

InviteClientTransaction::InviteClientTransaction(TransactionHost& host, uint64_t id,
                                                 const transport::Flow& flow,
                                                 sip::SipMessage&& request, ResponseHandler handler)
    : ClientTransaction(host, id, flow, std::move(request), ClientState::Calling,
                        std::move(handler)) {}

bool InviteClientTransaction::open() const {
  return state() == ClientState::Calling || state() == ClientState::Proceeding;
}

void InviteClientTransaction::start() {
  send(bytes_);
  if (!reliable()) {
    timer_a_ms_ = timers().t1_ms;
    arm(TimerSlot::Retransmit, timer_a_ms_);
  }
  arm(TimerSlot::Timeout, timers().sixtyFourT1());  // timer B
}

void InviteClientTransaction::onResponse(sip::SipMessage&& response) {
  const int status = response.statusCode();
  if (status < 200) {
    onProvisional(std::move(response));
  } else if (status < 300) {
    onSuccess(std::move(response));
  } else {
    onRejection(std::move(response));
  }
}

void InviteClientTransaction::onProvisional(sip::SipMessage&& response) {
  if (!open()) {
    return;  // a late provisional after the final carries nothing
  }
  if (state() == ClientState::Calling) {
    setState(ClientState::Proceeding);
    disarm(TimerSlot::Retransmit);  // RFC 3261 §17.1.1.2: no timer A, no timer B
  }
  if (!cancel_sent_) {
    arm(TimerSlot::Timeout, timers().tu_guard_ms);
  }
  if (cancel_pending_ && !cancel_sent_) {
    sendCancel();  // RFC 3261 §9.1: the CANCEL waited for this provisional
  }
  deliver(std::move(response), false);
}

void InviteClientTransaction::onSuccess(sip::SipMessage&& response) {
  if (state() == ClientState::Completed) {
    return;  // a 2xx after our ACKed rejection: nothing sane to do with it
  }
  if (open()) {
    // RFC 6026 §8.4: Accepted; timer M keeps the transaction to pass further 2xx up.
    setState(ClientState::Accepted);
    disarm(TimerSlot::Retransmit);
    arm(TimerSlot::Timeout, timers().sixtyFourT1());
  }
  deliver(std::move(response), true);
}

void InviteClientTransaction::onRejection(sip::SipMessage&& response) {
  if (state() == ClientState::Completed) {
    // RFC 3261 §17.1.1.2: a retransmitted final is answered with the same ACK.
    TransactionCounters::get().retransmissions_absorbed.add();
    TransactionCounters::get().retransmissions_sent.add();
    send(ack_);
    return;
  }
  if (!open()) {
    return;  // Accepted: a non-2xx from another fork is dropped (RFC 6026 §8.4)
  }
  setState(ClientState::Completed);
  disarm(TimerSlot::Retransmit);
  ack_ = buildAck(request_, response);
  send(ack_);
  arm(TimerSlot::Timeout, reliable() ? 0 : timers().timer_d_ms);  // timer D
  deliver(std::move(response), true);
  detach();
}

bool InviteClientTransaction::cancel() {
  if (state() == ClientState::Calling) {
    cancel_pending_ = true;
    return true;
  }
  if (state() == ClientState::Proceeding) {
    if (!cancel_sent_) {
      sendCancel();
    }
    return true;
  }
  return false;  // a final already arrived: nothing to cancel (§9.1)
}

void InviteClientTransaction::sendCancel() {
  cancel_sent_ = true;
  auto cancel = sip::SipMessage::parse(buildCancel(request_));
  if (!cancel) {
    LOG_ERROR("transaction: built an unparsable CANCEL: %s", cancel.error().detail.c_str());
    return;
  }
  host().startCancel(std::move(*cancel), flow());
  // RFC 3261 §9.1: without a final within 64*T1 the INVITE is considered cancelled.
  arm(TimerSlot::Timeout, timers().sixtyFourT1());
}

void InviteClientTransaction::onTimer(TimerSlot slot) {
  if (slot == TimerSlot::Retransmit) {
    if (state() == ClientState::Calling) {  // timer A: doubles without a cap
      retransmit();
      timer_a_ms_ *= 2;
      arm(TimerSlot::Retransmit, timer_a_ms_);
    }
    return;
  }
  if (open()) {
    onTimeout();
    return;
  }
  retire();  // timers D and M
}

void InviteClientTransaction::onTimeout() {
  if (state() == ClientState::Calling) {  // timer B
    TransactionCounters::get().timeouts.add();
    failWith(408);
  } else if (cancel_sent_) {
    failWith(487);  // the CANCEL got no final for the INVITE within 64*T1
  } else {
    TransactionCounters::get().abandoned.add();  // TU guard: nobody sent a CANCEL
    failWith(408);
  }
}

void InviteClientTransaction::onTransportError() {
  if (open()) {
    failWith(503);  // RFC 3261 §8.1.3.1 / §17.1.4
  }
}

}  // namespace proxy::transaction
