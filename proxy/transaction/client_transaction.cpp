// SPDX-License-Identifier: Apache-2.0
#include "proxy/transaction/client_transaction.h"

#include "proxy/base/log.h"
#include "proxy/transaction/request_builders.h"
#include "proxy/transaction/transaction_counters.h"

namespace proxy::transaction {

std::string_view clientStateName(ClientState state) {
  switch (state) {
    case ClientState::Calling:
      return "Calling";
    case ClientState::Trying:
      return "Trying";
    case ClientState::Proceeding:
      return "Proceeding";
    case ClientState::Completed:
      return "Completed";
    case ClientState::Accepted:
      return "Accepted";
    case ClientState::Terminated:
      return "Terminated";
  }
  return "?";
}

ClientTransaction::ClientTransaction(TransactionHost& host, uint64_t id,
                                     const transport::Flow& flow, sip::SipMessage&& request,
                                     ClientState initial, ResponseHandler handler)
    : Transaction(host, Kind::Client, id, flow),
      request_(std::move(request)),
      bytes_(request_.serialize()),
      state_(initial),
      handler_(std::move(handler)) {
  request_.dropParsedHeaders();  // kept as long as the transaction: hold the text only
}

void ClientTransaction::detach() {
  detached_ = true;
  handler_ = nullptr;
}

void ClientTransaction::deliver(sip::SipMessage&& response, bool final) {
  if (!handler_) {
    return;
  }
  // The handler may detach us (or drop what it captured) while it runs: call a local copy.
  ResponseHandler local = std::move(handler_);
  handler_ = nullptr;
  local(std::move(response), final);
  if (!detached_ && !handler_) {
    handler_ = std::move(local);
  }
}

void ClientTransaction::failWith(int status) {
  retire();
  auto response = buildSyntheticResponse(request_, status);
  if (!response) {
    TransactionCounters::get().synthetic_failures.add();
    LOG_ERROR("transaction: cannot build a synthetic %d for %s", status,
              std::string(request_.methodText()).c_str());
    return;
  }
  deliver(std::move(*response), true);
  handler_ = nullptr;  // nothing follows a synthetic final
}

void ClientTransaction::retransmit() {
  TransactionCounters::get().retransmissions_sent.add();
  send(bytes_);
}

}  // namespace proxy::transaction
