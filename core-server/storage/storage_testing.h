// SPDX-License-Identifier: Apache-2.0
// Test helpers for the storage tests: a temporary directory that cleans up after
// itself, and a TestLoop that stands in for a shard (its poster queues tasks, and
// the test thread runs them with bounded waits). Test-only; not part of core_storage.
#pragma once

#include <sqlite3.h>
#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "core-server/storage/store.h"

namespace core::storage::testing {

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/confab-storage-XXXXXX";
    path_ = mkdtemp(pattern) != nullptr ? pattern : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class TestLoop {
 public:
  // Thread-safe, like Shard::post: the task runs later on the thread calling runUntil().
  Poster poster() {
    return [this](std::function<void()> task) {
      std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(task));
      ++posted_;
      cv_.notify_all();
    };
  }

  // Runs posted tasks until `done()` holds or `timeout` passes; returns done().
  bool runUntil(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      std::vector<std::function<void()>> batch;
      {
        std::unique_lock lock(mutex_);
        if (!cv_.wait_until(lock, deadline, [&] { return !tasks_.empty(); })) {
          return done();
        }
        batch.swap(tasks_);
      }
      for (auto& task : batch) {
        task();
      }
    }
    return true;
  }

  size_t posted() {
    std::lock_guard lock(mutex_);
    return posted_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::function<void()>> tasks_;
  size_t posted_ = 0;
};

// Counts rows matching `where` through a fresh connection, as another process would.
inline int64_t countRows(const std::string& path, const std::string& table,
                         const std::string& where = "1") {
  sqlite3* db = nullptr;
  int64_t count = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    const std::string sql = "SELECT count(*) FROM " + table + " WHERE " + where;
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      count = sqlite3_column_int64(statement, 0);
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return count;
}

inline BindingRecord makeBinding(const std::string& aor, const std::string& contact,
                                 int64_t expires_at = 2'000'000'000) {
  BindingRecord b;
  b.aor = aor;
  b.contact = contact;
  b.instance = "<urn:uuid:00000000-0000-0000-0000-000000000001>";
  b.flow = "tcp:10.0.0.1:5060#1";
  b.call_id = "call-" + contact;
  b.cseq = 7;
  b.expires_at = expires_at;
  b.q1000 = 500;
  b.user_agent = "test/1.0";
  b.params = "methods=\"INVITE,MESSAGE\"";
  return b;
}

}  // namespace core::storage::testing
