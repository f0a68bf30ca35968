// SPDX-License-Identifier: Apache-2.0
#include "proxy/transaction/transaction_layer.h"

#include <algorithm>

#include "proxy/transaction/branch.h"
#include "proxy/transaction/invite_client_transaction.h"
#include "proxy/transaction/invite_server_transaction.h"
#include "proxy/transaction/non_invite_client_transaction.h"
#include "proxy/transaction/non_invite_server_transaction.h"
#include "proxy/transaction/transaction_counters.h"
#include "proxy/transaction/transaction_key.h"

namespace proxy::transaction {
namespace {

std::string_view viaTransport(transport::Protocol protocol) {
  switch (protocol) {
    case transport::Protocol::Udp:
      return "UDP";
    case transport::Protocol::Tcp:
      return "TCP";
    case transport::Protocol::Tls:
      return "TLS";
  }
  return "UDP";
}

TimerConfig sane(TimerConfig config) {
  config.t1_ms = std::max<uint32_t>(config.t1_ms, 1);  // a zero T1 would retransmit forever
  config.t2_ms = std::max(config.t2_ms, config.t1_ms);
  return config;
}

const TransactionCounters& stats() { return TransactionCounters::get(); }

}  // namespace

class TransactionLayer::Entry {
 public:
  explicit Entry(TransactionLayer& layer) : layer_(layer) { ++layer_.depth_; }
  ~Entry() {
    if (--layer_.depth_ == 0) {
      layer_.sweep();
    }
  }
  Entry(const Entry&) = delete;
  Entry& operator=(const Entry&) = delete;

 private:
  TransactionLayer& layer_;
};

TransactionLayer::TransactionLayer(Clock& clock, MessageSender& sender, unsigned shard,
                                   TimerConfig timers)
    : clock_(clock),
      sender_(sender),
      shard_(shard),
      config_(sane(timers)),
      alive_(std::make_shared<TransactionLayer*>(this)) {}

TransactionLayer::~TransactionLayer() {
  alive_.reset();  // late send completions find nothing
  ++depth_;        // no callbacks run during teardown: transactions just go
  auto live = std::move(live_);
  live_.clear();  // lookups from destructors of captured state find nothing
  server_index_.clear();
  client_index_.clear();
  live.clear();
  graveyard_.clear();
}

// ---- Server side ----

ServerTransaction* TransactionLayer::receiveRequest(const sip::SipMessage& request,
                                                    const transport::Flow& from, bool& absorbed) {
  Entry entry(*this);
  absorbed = false;
  if (request.method() == sip::Method::Ack) {
    absorbed = receiveAck(request);
    return nullptr;
  }
  if (request.method() == sip::Method::Benotify) {
    return nullptr;  // best-effort NOTIFY: no response, so no transaction
  }
  std::optional<std::string> key = serverKey(request, request.methodText());
  if (ServerTransaction* existing = findServerByKey(key)) {
    absorbed = true;
    stats().retransmissions_absorbed.add();
    existing->onRetransmission();
    return nullptr;
  }
  return createServer(request, from, std::move(key));
}

bool TransactionLayer::receiveAck(const sip::SipMessage& ack) {
  // RFC 3261 §17.2.3: an ACK matches the INVITE's transaction.
  ServerTransaction* txn = findServerByKey(serverKey(ack, "INVITE"));
  if (txn == nullptr || !txn->isInvite()) {
    return false;
  }
  const bool repeat = txn->state() == ServerState::Confirmed;
  const bool absorbed = txn->onAck();
  if (absorbed && repeat) {
    stats().retransmissions_absorbed.add();
  }
  return absorbed;
}

ServerTransaction* TransactionLayer::createServer(const sip::SipMessage& request,
                                                  const transport::Flow& from,
                                                  std::optional<std::string> key) {
  const uint64_t id = next_id_++;
  // A request we cannot key (`key` empty) still gets a transaction so it can be
  // answered (e.g. 400); its retransmissions just are not recognised.
  std::unique_ptr<ServerTransaction> txn;
  InviteServerTransaction* invite = nullptr;
  NonInviteServerTransaction* non_invite = nullptr;
  if (request.method() == sip::Method::Invite) {
    std::string legacy_prefix;
    const auto& via = request.topVia();
    if (key && via && !isRfc3261Branch(via->branch())) {
      legacy_prefix = legacyServerKey(request, "INVITE", "").value_or("");
    }
    auto owned =
        std::make_unique<InviteServerTransaction>(asHost(), id, from, std::move(legacy_prefix));
    invite = owned.get();
    txn = std::move(owned);
  } else {
    auto owned = std::make_unique<NonInviteServerTransaction>(asHost(), id, from, request.method());
    non_invite = owned.get();
    txn = std::move(owned);
  }
  ServerTransaction* raw = txn.get();
  if (key) {
    indexUnder(server_index_, *raw, std::move(*key));
  }
  live_.emplace(id, std::move(txn));
  ++server_count_;
  stats().server_created.add();
  if (invite != nullptr) {
    invite->start(request);
  } else {
    non_invite->start();
  }
  return raw;
}

ServerTransaction* TransactionLayer::findServerByKey(const std::optional<std::string>& key) {
  if (!key) {
    return nullptr;
  }
  auto it = server_index_.find(*key);
  return it == server_index_.end() ? nullptr : findServer(it->second);
}

ServerTransaction* TransactionLayer::findServer(ServerTransactionId id) {
  Transaction* t = findLive(id);
  return t != nullptr && t->kind() == Transaction::Kind::Server ? static_cast<ServerTransaction*>(t)
                                                                : nullptr;
}

ServerTransaction* TransactionLayer::findInviteServerTransaction(const sip::SipMessage& cancel) {
  // RFC 3261 §9.2: the §17.2.3 rules, except for the method.
  ServerTransaction* txn = findServerByKey(serverKey(cancel, "INVITE"));
  return txn != nullptr && txn->isInvite() ? txn : nullptr;
}

bool TransactionLayer::respond(ServerTransactionId id, int status, std::string bytes) {
  ServerTransaction* txn = findServer(id);
  return txn != nullptr && txn->respond(status, std::move(bytes));
}

// ---- Client side ----

ClientTransactionId TransactionLayer::sendRequest(sip::SipMessage&& request,
                                                  const transport::Flow& to,
                                                  std::string_view sent_by,
                                                  ResponseHandler on_response) {
  Entry entry(*this);
  const std::string branch = makeBranch(shard_);
  std::string via = "SIP/2.0/";
  via += viaTransport(to.protocol);
  via += ' ';
  via += sent_by;
  via += ";branch=";
  via += branch;
  via += ";rport";  // RFC 3581
  request.prependHeader(sip::HeaderName::Via, std::move(via));
  if (request.method() == sip::Method::Ack || request.method() == sip::Method::Benotify) {
    sender_.send(to, request.serialize(), [](bool) {});
    return 0;
  }
  return startClient(std::move(request), to, branch, std::move(on_response));
}

ClientTransactionId TransactionLayer::startClient(sip::SipMessage&& request,
                                                  const transport::Flow& to,
                                                  std::string_view branch,
                                                  ResponseHandler on_response) {
  const uint64_t id = next_id_++;
  std::string key = clientKey(branch, request.methodText());
  std::unique_ptr<ClientTransaction> txn;
  if (request.method() == sip::Method::Invite) {
    txn = std::make_unique<InviteClientTransaction>(asHost(), id, to, std::move(request),
                                                    std::move(on_response));
  } else {
    txn = std::make_unique<NonInviteClientTransaction>(asHost(), id, to, std::move(request),
                                                       std::move(on_response));
  }
  ClientTransaction* raw = txn.get();
  indexUnder(client_index_, *raw, std::move(key));
  live_.emplace(id, std::move(txn));
  ++client_count_;
  stats().client_created.add();
  raw->start();
  return id;
}

void TransactionLayer::startCancel(sip::SipMessage&& cancel, const transport::Flow& to) {
  const auto& via = cancel.topVia();
  const std::string branch(via ? via->branch() : std::string_view());
  startClient(std::move(cancel), to, branch, {});  // the CANCEL's own 200 matters to nobody
}

bool TransactionLayer::receiveResponse(sip::SipMessage&& response, const transport::Flow&) {
  Entry entry(*this);
  auto key = clientKeyOfResponse(response);
  auto it = key ? client_index_.find(*key) : client_index_.end();
  ClientTransaction* txn = it == client_index_.end() ? nullptr : findClient(it->second);
  if (txn == nullptr || response.statusCode() < 100) {
    stats().unmatched_responses.add();
    return false;
  }
  txn->onResponse(std::move(response));
  return true;
}

bool TransactionLayer::cancelClient(ClientTransactionId id) {
  Entry entry(*this);
  ClientTransaction* txn = findClient(id);
  return txn != nullptr && txn->cancel();
}

void TransactionLayer::detachClient(ClientTransactionId id) {
  if (ClientTransaction* txn = findClient(id)) {
    txn->detach();
  }
}

bool TransactionLayer::hasClient(ClientTransactionId id) const { return findClient(id) != nullptr; }

std::optional<ClientState> TransactionLayer::clientState(ClientTransactionId id) const {
  const ClientTransaction* txn = findClient(id);
  return txn == nullptr ? std::nullopt : std::optional<ClientState>(txn->state());
}

ClientTransaction* TransactionLayer::findClient(ClientTransactionId id) const {
  Transaction* t = findLive(id);
  return t != nullptr && t->kind() == Transaction::Kind::Client ? static_cast<ClientTransaction*>(t)
                                                                : nullptr;
}

Transaction* TransactionLayer::findLive(uint64_t id) const {
  auto it = live_.find(id);
  return it == live_.end() ? nullptr : it->second.get();
}

std::optional<unsigned> TransactionLayer::shardOfBranch(std::string_view branch) {
  return transaction::shardOfBranch(branch);
}

// ---- Timers and lifetime ----

void TransactionLayer::runTimers() {
  Entry entry(*this);
  const int64_t now = clock_.monotonicMs();
  while (auto due = queue_.popDue(now)) {
    Transaction* t = findLive(due->transaction);
    if (t != nullptr && t->isCurrent(due->slot, due->generation)) {
      t->fire(due->slot);
    }
  }
}

void TransactionLayer::armTimer(Transaction& t, TimerSlot slot, uint32_t generation,
                                uint32_t delay_ms) {
  // Re-armed slots leave stale entries behind (e.g. every INVITE's TU guard): when they
  // dominate, drop them. At most kTimerSlots entries per live transaction are current.
  if (queue_.size() > 1024 + 4 * kTimerSlots * live_.size()) {
    queue_.compact([this](const TimerEntry& e) {
      const Transaction* owner = findLive(e.transaction);
      return owner != nullptr && owner->isCurrent(e.slot, e.generation);
    });
  }
  const int64_t deadline = clock_.monotonicMs() + delay_ms;
  const auto next = queue_.nextDeadline();
  queue_.push(deadline, t.id(), slot, generation);
  if (wakeup_ && (!next || deadline < *next)) {
    wakeup_(deadline);
  }
}

void TransactionLayer::sendBytes(Transaction& t, std::string bytes) {
  std::weak_ptr<TransactionLayer*> weak = alive_;
  const uint64_t id = t.id();
  sender_.send(t.flow(), std::move(bytes), [weak, id](bool ok) {
    if (ok) {
      return;
    }
    stats().transport_errors.add();
    if (auto alive = weak.lock()) {
      if (Transaction* failed = (*alive)->findLive(id)) {
        failed->noteTransportFailure();  // handled from runTimers(), off the sender's stack
      }
    }
  });
}

void TransactionLayer::addServerKey(Transaction& t, std::string key) {
  indexUnder(server_index_, t, std::move(key));
}

void TransactionLayer::indexUnder(KeyIndex& index, Transaction& t, std::string key) {
  const std::string_view kept = t.keepIndexKey(std::move(key));
  auto [it, inserted] = index.try_emplace(kept, t.id());
  if (!inserted) {
    // The key moves to `t`. The entry is keyed anew on t's copy: the previous
    // owner's copy dies with it, while the entry may stay.
    index.erase(it);
    index.emplace(kept, t.id());
  }
}

void TransactionLayer::retire(Transaction& t) {
  auto& index = t.kind() == Transaction::Kind::Server ? server_index_ : client_index_;
  t.forEachIndexKey([&](std::string_view key) {
    auto it = index.find(key);
    if (it != index.end() && it->second == t.id()) {
      index.erase(it);
    }
  });
  auto it = live_.find(t.id());
  if (it == live_.end()) {
    return;
  }
  --(t.kind() == Transaction::Kind::Server ? server_count_ : client_count_);
  graveyard_.push_back(std::move(it->second));
  live_.erase(it);
  if (depth_ == 0 && wakeup_) {
    wakeup_(clock_.monotonicMs());  // get runTimers() called soon to free it
  }
}

void TransactionLayer::sweep() {
  // Destructors may release routing state that calls back into the layer, so the
  // graveyard is detached before it is cleared.
  while (!graveyard_.empty()) {
    std::vector<std::unique_ptr<Transaction>> dead = std::move(graveyard_);
    graveyard_.clear();
    dead.clear();
  }
}

}  // namespace proxy::transaction
