// SPDX-License-Identifier: Apache-2.0
// The durable half of offline delivery: page-mode MESSAGEs kept for users who
// had no endpoint, in their own SQLite file (im.db), apart from the registrar's
// store. One instance per process, shared by every shard: writes go through a
// StorageThread (group commit) and report back through the caller's Poster
// only after the commit, so a sender is never told "accepted" for a message
// the disk has not got. Reads happen once, at open.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core-server/storage/storage_thread.h"
#include "core-server/storage/store.h"
#include "proxy/base/result.h"

namespace core::im {

struct StoredMessage {
  int64_t id = 0;            // assigned by the store at commit; increases with arrival
  std::string recipient;     // canonical AOR ("user@host")
  std::string from;          // the From header value as received (the original sender)
  std::string to;            // the To header value as received, without a tag
  std::string content_type;  // "" when the request had no body type
  std::string body;
  int64_t received_at = 0;  // unix seconds: when we accepted it (the Date we deliver)

  size_t bytes() const { return body.size(); }
};

struct OfflineStoreOptions {
  std::string path;  // the SQLite file; created with its directories
  uint32_t max_batch = 256;
  uint32_t max_delay_us = 2000;
  bool synchronous_full = false;  // fsync on every commit (power-loss safe) or WAL NORMAL
};

class OfflineStore {
 public:
  // Opens (creating and migrating) the file and reads every stored message.
  static proxy::Result<std::unique_ptr<OfflineStore>> open(const OfflineStoreOptions& options);
  ~OfflineStore();  // commits what is queued
  OfflineStore(const OfflineStore&) = delete;
  OfflineStore& operator=(const OfflineStore&) = delete;

  // Thread-safe, for start-up: hands over (and forgets) the loaded messages whose
  // recipient `mine` accepts, oldest first.
  std::vector<StoredMessage> takeLoaded(const std::function<bool(std::string_view aor)>& mine);

  // Thread-safe. `done(ok, id)` is posted after the commit; `id` orders messages.
  void insert(StoredMessage message, storage::Poster post,
              std::function<void(bool ok, int64_t id)> done);
  // Thread-safe. `done` may be empty.
  void remove(int64_t id, storage::Poster post, std::function<void(bool ok)> done);
  // Blocks until everything submitted so far is committed (tests, shutdown).
  void flush() { writer_->flush(); }

 private:
  OfflineStore(std::unique_ptr<storage::StorageThread> writer, std::vector<StoredMessage> loaded)
      : writer_(std::move(writer)), loaded_(std::move(loaded)) {}

  std::unique_ptr<storage::StorageThread> writer_;
  std::mutex loaded_mutex_;  // start-up only: shards take their share concurrently
  std::vector<StoredMessage> loaded_;
};

// The schema steps of im.db (PRAGMA user_version counts them).
std::span<const char* const> offlineMigrations();

}  // namespace core::im
