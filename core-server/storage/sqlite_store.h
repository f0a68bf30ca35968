// SPDX-License-Identifier: Apache-2.0
// The default Store: one SQLite file in WAL mode, shared with confabctl. Binding writes
// go to the StorageThread (group commit, completions posted back); the synchronous
// calls run on the calling thread over their own connection, serialised by a lock,
// and changedExternally() polls a third connection. Every method is thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>

#include "core-server/storage/sqlite_connection.h"
#include "core-server/storage/storage_thread.h"
#include "core-server/storage/store.h"
#include "proxy/base/result.h"

namespace core::storage {

class SqliteStore final : public Store {
 public:
  // Opens the file (creating it and its directories), migrates it, starts the writer.
  static proxy::Result<std::unique_ptr<SqliteStore>> open(const SqliteOptions& options);
  ~SqliteStore() override;  // flushes, then joins the writer

  std::vector<UserRecord> loadUsers() override;
  bool putUser(const UserRecord& user) override;
  bool deleteUser(const std::string& aor) override;
  bool changedExternally() override;

  std::vector<BindingRecord> loadBindings() override;
  void saveBinding(BindingRecord binding, Poster post, std::function<void(bool)> done) override;
  void deleteBinding(std::string aor, std::string contact, Poster post,
                     std::function<void(bool)> done) override;
  void deleteExpiredBindings(int64_t now_unix) override;
  std::vector<StateRecord> loadStates(const std::string& kind, int64_t now_unix) override;
  void putState(StateRecord record, Poster post, std::function<void(bool)> done) override;
  void deleteState(std::string kind, std::string key, Poster post,
                   std::function<void(bool)> done) override;
  void deleteExpiredStates(int64_t now_unix) override;
  void flush() override;

  // Writer statistics (tests, admin): transactions committed and writes completed.
  uint64_t commits() const { return writer_->commits(); }
  uint64_t writes() const { return writer_->writes(); }

 private:
  // The binding writes, prepared once on the writer's connection and used only on the
  // storage thread: finding them in the statement cache would hash the long SQL text
  // on every write. They live as long as the writer's connection, so as writer_.
  struct BindingStatements {
    // save[k] upserts 2^k bindings: one statement per binding would spend about as much
    // again on starting the statement and opening its cursors as on the row itself.
    std::array<Statement*, 5> save;
    Statement* remove;
    Statement* expire;
  };
  static proxy::Result<BindingStatements> prepareBindingWrites(Connection& writer);
  // StorageThread::SaveBindings with `statements.save`.
  static bool saveBindings(const BindingStatements& statements,
                           std::span<const BindingRecord* const> bindings);

  SqliteStore(std::unique_ptr<Connection> sync, std::unique_ptr<Connection> poll,
              std::unique_ptr<StorageThread> writer, BindingStatements bindings,
              int64_t users_version);

  // Changes users on the sync connection in one transaction, keeping users_version
  // in step when no one else changed users meanwhile. Caller holds sync_mutex_.
  bool changeUsers(const std::function<bool(Connection&)>& change);

  std::mutex sync_mutex_;  // serialises the synchronous calls on sync_
  std::unique_ptr<Connection> sync_;
  std::mutex poll_mutex_;  // changedExternally() may be called from any thread
  std::unique_ptr<Connection> poll_;
  // The users_version this process has seen (by loading, by polling, or by writing).
  std::atomic<int64_t> seen_users_version_;
  const BindingStatements bindings_;
  std::unique_ptr<StorageThread> writer_;
};

}  // namespace core::storage
