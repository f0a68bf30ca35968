// SPDX-License-Identifier: Apache-2.0
// The RFC 3261 §17 transaction layer of one shard: the tables of server and
// client transactions, matching (§17.1.3, §17.2.3 with the RFC 2543 fallback),
// and one deadline heap for all their timers. The routing layer owns one
// TransactionLayer per shard and calls it only on that shard's thread.
//
// Time comes from a Clock and timers run only inside runTimers(): production
// wires a LayerTimer (layer_timer.h) to call it from a uv timer; tests drive a
// ManualClock. Handlers and callbacks run from receiveRequest(), receiveResponse()
// or runTimers(), never from respond(), sendRequest() or cancelClient().
// Terminated transactions are destroyed when the outermost call into the layer
// returns, so a callback may call back into the layer freely.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proxy/base/clock.h"
#include "proxy/sip/sip_message.h"
#include "proxy/transaction/client_transaction.h"
#include "proxy/transaction/message_sender.h"
#include "proxy/transaction/server_transaction.h"
#include "proxy/transaction/timer_config.h"
#include "proxy/transaction/timer_queue.h"
#include "proxy/transport/transport.h"

namespace proxy::transaction {

class TransactionLayer final : private TransactionHost {
 public:
  // `shard` goes into our branches (see branch.h). `clock` and `sender` must outlive the layer.
  TransactionLayer(Clock& clock, MessageSender& sender, unsigned shard, TimerConfig timers = {});
  ~TransactionLayer();
  TransactionLayer(const TransactionLayer&) = delete;
  TransactionLayer& operator=(const TransactionLayer&) = delete;

  // ---- Server side (RFC 3261 §17.2) ----

  // Feeds a received request. Returns the new server transaction, or nullptr with:
  // - absorbed=true: a retransmission (the last response was re-sent as §17.2.1/§17.2.2
  //   require) or an ACK for our 300-699 (§17.2.1); nothing more to do;
  // - absorbed=false: an ACK that belongs to no transaction we keep (2xx ACKs, RFC 6026)
  //   or a BENOTIFY (never answered): forward it statelessly.
  // An INVITE's transaction has already sent 100 Trying when it is returned.
  ServerTransaction* receiveRequest(const sip::SipMessage& request, const transport::Flow& from,
                                    bool& absorbed);
  // nullptr once the transaction has terminated.
  ServerTransaction* findServer(ServerTransactionId id);
  // The INVITE server transaction a CANCEL targets (RFC 3261 §9.2), or nullptr.
  ServerTransaction* findInviteServerTransaction(const sip::SipMessage& cancel);
  // findServer(id)->respond(...); false when it is gone or refused the response.
  bool respond(ServerTransactionId id, int status, std::string bytes);

  // ---- Client side (RFC 3261 §17.1) ----

  // Prepends "Via: SIP/2.0/<transport> <sent_by>;branch=z9hG4bK-<shard>-<random>;rport",
  // sends the request on `to` and runs its state machine; every response, including a
  // synthetic 408 (timeout), 503 (transport failure) or 487 (§9.1 CANCEL guard), reaches
  // `on_response`. ACK and BENOTIFY get no transaction (RFC 3261 §17.1.1.3 2xx ACK,
  // MS-SIPRE BENOTIFY has no response): they are sent once and 0 is returned.
  ClientTransactionId sendRequest(sip::SipMessage&& request, const transport::Flow& to,
                                  std::string_view sent_by, ResponseHandler on_response);
  // Feeds a received response; false (and counted) when no client transaction matches.
  bool receiveResponse(sip::SipMessage&& response, const transport::Flow& from);
  // CANCELs an INVITE client transaction (RFC 3261 §9.1): at once if a provisional came,
  // else when the first one comes. False if `id` is not a live INVITE without a final.
  bool cancelClient(ClientTransactionId id);
  // The handler of `id` is never called again (the transaction itself runs on).
  void detachClient(ClientTransactionId id);
  bool hasClient(ClientTransactionId id) const;
  std::optional<ClientState> clientState(ClientTransactionId id) const;

  // ---- Timers ----

  // Runs every timer due at clock.monotonicMs(); then destroys terminated transactions.
  void runTimers();
  std::optional<int64_t> nextDeadlineMs() const { return queue_.nextDeadline(); }
  // Called with a deadline whenever one earlier than every pending deadline is armed.
  void setWakeup(std::function<void(int64_t deadline_ms)> wakeup) { wakeup_ = std::move(wakeup); }

  unsigned shard() const { return shard_; }
  size_t serverCount() const { return server_count_; }
  size_t clientCount() const { return client_count_; }
  const TimerConfig& timerConfig() const { return config_; }
  size_t pendingTimers() const { return queue_.size(); }  // including stale entries

  // The shard encoded in a branch we minted, for routing a response to its owner.
  static std::optional<unsigned> shardOfBranch(std::string_view branch);

 private:
  class Entry;  // RAII guard around every public entry point

  // TransactionHost.
  int64_t nowMs() const override { return clock_.monotonicMs(); }
  const TimerConfig& timers() const override { return config_; }
  void armTimer(Transaction& t, TimerSlot slot, uint32_t generation, uint32_t delay_ms) override;
  void sendBytes(Transaction& t, std::string bytes) override;
  void addServerKey(Transaction& t, std::string key) override;
  void startCancel(sip::SipMessage&& cancel, const transport::Flow& to) override;
  void retire(Transaction& t) override;
  TransactionHost& asHost() { return *this; }

  // Maps index keys (views of strings their transaction keeps) to transaction ids.
  using KeyIndex = std::unordered_map<std::string_view, uint64_t>;
  // Indexes `t` under `key` in `index`, replacing an entry with the same key.
  static void indexUnder(KeyIndex& index, Transaction& t, std::string key);

  ServerTransaction* findServerByKey(const std::optional<std::string>& key);
  Transaction* findLive(uint64_t id) const;
  ClientTransaction* findClient(ClientTransactionId id) const;
  ServerTransaction* createServer(const sip::SipMessage& request, const transport::Flow& from,
                                  std::optional<std::string> key);
  bool receiveAck(const sip::SipMessage& ack);
  ClientTransactionId startClient(sip::SipMessage&& request, const transport::Flow& to,
                                  std::string_view branch, ResponseHandler on_response);
  void sweep();

  Clock& clock_;
  MessageSender& sender_;
  unsigned shard_;
  TimerConfig config_;
  TimerQueue queue_;
  std::function<void(int64_t)> wakeup_;
  // Send completions may outlive us (a write finishing during shutdown): they hold a weak token.
  std::shared_ptr<TransactionLayer*> alive_;

  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<Transaction>> live_;
  KeyIndex server_index_;
  KeyIndex client_index_;
  std::vector<std::unique_ptr<Transaction>> graveyard_;
  size_t server_count_ = 0;
  size_t client_count_ = 0;
  int depth_ = 0;  // nesting of public entry points; the graveyard is swept at 0
};

}  // namespace proxy::transaction
