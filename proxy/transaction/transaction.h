// SPDX-License-Identifier: Apache-2.0
// The common base of client and server transactions, and the narrow interface
// (TransactionHost) through which a transaction reaches the TransactionLayer
// that owns it: time, timers, sending, index keys and retirement. A transaction
// lives on its layer's shard thread and is destroyed by the layer after it
// retires, never while one of its own methods is on the stack.
#pragma once

#include <array>
#include <cstdint>
#include <forward_list>
#include <string>
#include <string_view>

#include "proxy/sip/sip_message.h"
#include "proxy/transaction/message_sender.h"
#include "proxy/transaction/timer_config.h"
#include "proxy/transaction/timer_queue.h"
#include "proxy/transport/transport.h"

namespace proxy::transaction {

class Transaction;

class TransactionHost {
 public:
  virtual int64_t nowMs() const = 0;
  virtual const TimerConfig& timers() const = 0;
  virtual void armTimer(Transaction& t, TimerSlot slot, uint32_t generation, uint32_t delay_ms) = 0;
  // Sends through the MessageSender; a failure comes back as the Failure timer slot.
  virtual void sendBytes(Transaction& t, std::string bytes) = 0;
  // Adds another server index key (the RFC 2543 ACK key carrying our To tag).
  virtual void addServerKey(Transaction& t, std::string key) = 0;
  // Starts the non-INVITE client transaction of a CANCEL we built (RFC 3261 §9.1).
  virtual void startCancel(sip::SipMessage&& cancel, const transport::Flow& to) = 0;
  // Removes `t` from every index; it is destroyed later, off its own stack.
  virtual void retire(Transaction& t) = 0;

 protected:
  ~TransactionHost() = default;
};

class Transaction {
 public:
  enum class Kind : uint8_t { Server, Client };

  Transaction(TransactionHost& host, Kind kind, uint64_t id, const transport::Flow& flow)
      : host_(host), kind_(kind), id_(id), flow_(flow) {}
  virtual ~Transaction() = default;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  uint64_t id() const { return id_; }
  Kind kind() const { return kind_; }
  const transport::Flow& flow() const { return flow_; }
  bool reliable() const { return isReliable(flow_); }
  bool retired() const { return retired_; }

  // For the layer: timer dispatch and the index keys it registered for us.
  bool isCurrent(TimerSlot slot, uint32_t generation) const {
    return !retired_ && generations_[static_cast<size_t>(slot)] == generation;
  }
  void fire(TimerSlot slot);
  // A send failed; handled from the layer's next runTimers(), never inside send().
  void noteTransportFailure() { arm(TimerSlot::Failure, 0); }
  // Keeps an index key and returns a view of the kept copy: the layer's maps are
  // keyed by these views, which stay valid while the transaction lives (it never
  // moves, and neither do the strings: the first is a member, the rest list nodes).
  std::string_view keepIndexKey(std::string key) {
    if (!has_key_) {
      has_key_ = true;
      key_ = std::move(key);
      return key_;
    }
    more_keys_.push_front(std::move(key));
    return more_keys_.front();
  }
  template <typename Visit>
  void forEachIndexKey(Visit visit) const {
    if (has_key_) {
      visit(std::string_view(key_));
    }
    for (const std::string& key : more_keys_) {
      visit(std::string_view(key));
    }
  }

 protected:
  virtual void onTimer(TimerSlot slot) = 0;
  virtual void onTransportError() = 0;
  // Runs once, when the transaction retires.
  virtual void onRetired() {}

  void arm(TimerSlot slot, uint32_t delay_ms);
  void disarm(TimerSlot slot) { ++generations_[static_cast<size_t>(slot)]; }
  void disarmAll();
  void send(std::string bytes) { host_.sendBytes(*this, std::move(bytes)); }
  // Leaves every index and stops all timers; idempotent.
  void retire();

  TransactionHost& host() const { return host_; }
  const TimerConfig& timers() const { return host_.timers(); }

 private:
  TransactionHost& host_;
  Kind kind_;
  uint64_t id_;
  transport::Flow flow_;
  bool retired_ = false;
  std::array<uint32_t, kTimerSlots> generations_{};
  bool has_key_ = false;
  std::string key_;                           // the first index key (most have one)
  std::forward_list<std::string> more_keys_;  // e.g. the RFC 2543 ACK key of an INVITE
};

}  // namespace proxy::transaction
