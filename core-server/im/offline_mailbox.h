// SPDX-License-Identifier: Apache-2.0
// Offline delivery for the users of one shard: quotas, the commit-before-ack
// rule, and delivery in arrival order, one message at a time, each removed from
// the store only after an endpoint of the recipient accepted it (2xx). Keeping
// one message in flight per user is what makes the order hold across retries.
// The SIP side is a callback (Deliver), so this is testable without a network.
// One instance per shard, used only on its thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core-server/im/offline_store.h"

namespace core::im {

struct MailboxLimits {
  uint32_t max_messages = 100;       // per recipient
  uint64_t max_bytes = 1024 * 1024;  // bodies, per recipient
  int64_t max_age_s = 7 * 86400;     // older messages are dropped undelivered
};

enum class Admission { Accepted, TooManyMessages, TooManyBytes };

class OfflineMailbox {
 public:
  // Sends one stored message to the recipient's endpoints; `done(true)` once one
  // answered 2xx, `done(false)` when none did (or none is registered). `done` may
  // run before deliver returns.
  using Deliver =
      std::function<void(const StoredMessage& message, std::function<void(bool delivered)> done)>;

  OfflineMailbox(OfflineStore& store, storage::Poster post, MailboxLimits limits, Deliver deliver);
  ~OfflineMailbox();
  OfflineMailbox(const OfflineMailbox&) = delete;
  OfflineMailbox& operator=(const OfflineMailbox&) = delete;

  // Start-up: messages from the store (oldest first) for recipients of this shard.
  void load(std::vector<StoredMessage> messages);

  // Checks the quota and submits `message`; `committed(ok)` runs after the commit
  // (ok=false: the write failed). Not Accepted: nothing was stored and
  // `committed` is never called.
  Admission store(StoredMessage message, std::function<void(bool ok)> committed);

  // True while `aor` has messages queued or being committed: newer messages must
  // queue behind them, even if the user is online again, to keep the order.
  bool hasBacklog(std::string_view aor) const;

  // The recipient may be reachable (registered, refreshed): deliver its queue.
  void kick(std::string_view aor);
  // Every recipient with a queue (a periodic retry).
  void kickAll();

  // Drops (and deletes) messages older than max_age_s. Returns how many.
  size_t expire(int64_t now_unix);

  size_t queued(std::string_view aor) const;
  size_t queuedTotal() const;

 private:
  struct Box {
    std::deque<StoredMessage> queue;  // committed, oldest first
    uint32_t committing = 0;          // submitted, commit not reported yet
    uint32_t count = 0;               // queue + committing
    uint64_t bytes = 0;               // queue + committing
    bool delivering = false;          // queue.front() is out
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  void onCommitted(const std::string& aor, StoredMessage message, bool ok, int64_t id);
  void deliverFront(const std::string& aor);
  void onDelivered(const std::string& aor, int64_t id, bool delivered);
  void dropFront(Box& box);
  void forgetIfEmpty(const std::string& aor);

  OfflineStore& store_;
  storage::Poster post_;
  MailboxLimits limits_;
  Deliver deliver_;
  std::unordered_map<std::string, Box, Hash, std::equal_to<>> boxes_;
  // Callbacks from the store and the network may outlive us: they hold a weak token.
  std::shared_ptr<OfflineMailbox*> alive_;
};

}  // namespace core::im
