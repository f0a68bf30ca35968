// SPDX-License-Identifier: Apache-2.0
#include "proxy/transaction/invite_server_transaction.h"

#include <algorithm>

#include "proxy/base/log.h"
#include "proxy/transaction/transaction_counters.h"

namespace proxy::transaction {

InviteServerTransaction::InviteServerTransaction(TransactionHost& host, uint64_t id,
                                                 const transport::Flow& flow,
                                                 std::string legacy_ack_prefix)
    : ServerTransaction(host, id, flow, sip::Method::Invite, ServerState::Proceeding),
      legacy_ack_prefix_(std::move(legacy_ack_prefix)) {}

void InviteServerTransaction::start(const sip::SipMessage& request) {
  // RFC 3261 §17.2.1: the transaction itself generates 100 (Trying).
  sip::ResponseBuilder trying(request, 100, "Trying");
  if (request.has(sip::HeaderName::Timestamp)) {
    trying.header("Timestamp", request.header(sip::HeaderName::Timestamp));  // §8.2.6.1
  }
  sendProvisional(trying.build());
}

bool InviteServerTransaction::respond(int status, std::string bytes) {
  if (status < 100 || status > 699) {
    return false;
  }
  if (state() == ServerState::Proceeding) {
    if (status < 200) {
      sendProvisional(std::move(bytes));
    } else if (status < 300) {
      sendAccepted(std::move(bytes));
    } else {
      sendRejection(std::move(bytes));
    }
    return true;
  }
  if (state() == ServerState::Accepted && status >= 200 && status < 300) {
    send(std::move(bytes));  // RFC 6026 §8.5: further 2xx from the TU (retransmissions, forks)
    return true;
  }
  TransactionCounters::get().late_responses.add();
  return false;
}

void InviteServerTransaction::sendProvisional(std::string bytes) {
  storeAndSend(std::move(bytes));
  arm(TimerSlot::Timeout, timers().tu_guard_ms);
}

void InviteServerTransaction::sendAccepted(std::string bytes) {
  // RFC 6026 §8.5: Accepted instead of Terminated, so retransmitted INVITEs are absorbed
  // rather than treated as new requests; timer L ends it.
  setState(ServerState::Accepted);
  last_response_.clear();
  send(std::move(bytes));
  arm(TimerSlot::Timeout, timers().sixtyFourT1());
}

void InviteServerTransaction::sendRejection(std::string bytes) {
  // RFC 3261 §17.2.1: Completed; timer G retransmits on unreliable transports, timer H
  // bounds the wait for the ACK.
  setState(ServerState::Completed);
  storeAndSend(std::move(bytes));
  if (!legacy_ack_prefix_.empty()) {
    indexLegacyAck();
  }
  if (!reliable()) {
    timer_g_ms_ = timers().t1_ms;
    arm(TimerSlot::Retransmit, timer_g_ms_);
  }
  arm(TimerSlot::Timeout, timers().sixtyFourT1());
}

void InviteServerTransaction::indexLegacyAck() {
  // RFC 3261 §17.2.3: an RFC 2543 ACK matches when its To tag equals our response's.
  auto response = sip::SipMessage::parse(last_response_);
  if (!response) {
    LOG_DEBUG("transaction: unparsable final response, RFC 2543 ACK will not match");
    return;
  }
  auto to = response->to();
  if (to && !to->tag().empty()) {
    host().addServerKey(*this, legacy_ack_prefix_ + std::string(to->tag()));
  }
}

void InviteServerTransaction::onRetransmission() {
  // RFC 3261 §17.2.1: re-send the most recent provisional (Proceeding) or the final
  // (Completed). In Confirmed and Accepted (RFC 6026 §8.6) the INVITE is just absorbed.
  if (state() == ServerState::Proceeding || state() == ServerState::Completed) {
    resendLast();
  }
}

bool InviteServerTransaction::onAck() {
  if (state() == ServerState::Accepted) {
    return false;  // RFC 6026 §8.7: the 2xx ACK goes to the TU (forwarded end to end)
  }
  if (state() == ServerState::Completed) {
    // RFC 3261 §17.2.1: Confirmed; timer I absorbs ACK retransmissions, zero if reliable.
    setState(ServerState::Confirmed);
    disarm(TimerSlot::Retransmit);
    arm(TimerSlot::Timeout, reliable() ? 0 : timers().t4_ms);
  }
  return true;  // Confirmed: retransmitted ACK; Proceeding: a stray ACK, dropped
}

void InviteServerTransaction::onTimer(TimerSlot slot) {
  if (slot == TimerSlot::Retransmit) {
    if (state() == ServerState::Completed) {  // timer G
      resendLast();
      timer_g_ms_ = std::min(timer_g_ms_ * 2, timers().t2_ms);
      arm(TimerSlot::Retransmit, timer_g_ms_);
    }
    return;
  }
  switch (state()) {
    case ServerState::Proceeding:  // the TU never sent a final response
      TransactionCounters::get().abandoned.add();
      break;
    case ServerState::Completed:  // timer H: no ACK
      notifyTimeout();
      break;
    default:  // timers I and L
      break;
  }
  retire();
}

void InviteServerTransaction::onTransportError() {
  notifyTransportError();
  retire();
}

}  // namespace proxy::transaction
