// SPDX-License-Identifier: Apache-2.0
// A thin RAII layer over one SQLite connection and its prepared statements. A
// Connection is used by one thread at a time (the storage thread, or a caller
// holding the store's lock); it is never shared concurrently. Statements are
// prepared once and cached by SQL text, so the hot write path only binds and steps.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "proxy/base/result.h"

namespace core::storage {

class Statement {
 public:
  explicit Statement(sqlite3_stmt* raw) : raw_(raw) {}
  ~Statement() { sqlite3_finalize(raw_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite. Text is NOT copied (one allocation less per
  // column on the write path): it must stay alive until the next run() or reset().
  Statement& bindText(int index, std::string_view value);
  Statement& bindInt(int index, int64_t value);

  // Steps once; true while a row is available. At the end or on error returns false
  // (ok() tells which). A SELECT holds a read snapshot until reset().
  bool next();
  // Runs a statement that returns no rows to completion, then resets it.
  bool run();
  // Makes the statement reusable, clears its bindings and releases its snapshot.
  void reset();

  bool ok() const { return ok_; }
  std::string text(int column) const;
  int64_t integer(int column) const { return sqlite3_column_int64(raw_, column); }

 private:
  sqlite3_stmt* raw_;
  bool ok_ = true;
};

// Resets a statement when leaving a scope, so no read snapshot outlives its use.
class StatementScope {
 public:
  explicit StatementScope(Statement& statement) : statement_(statement) {}
  ~StatementScope() { statement_.reset(); }
  StatementScope(const StatementScope&) = delete;
  StatementScope& operator=(const StatementScope&) = delete;

 private:
  Statement& statement_;
};

struct ConnectionOptions {
  bool synchronous_full = false;  // see SqliteOptions
  uint32_t busy_timeout_ms = 5000;
  uint32_t cache_kib = 0;  // page cache size; 0 keeps SQLite's default (2 MiB)
};

class Connection {
 public:
  // Opens (creating the file and its parent directories) and applies the per-connection
  // pragmas: busy_timeout, synchronous, foreign_keys, cache_size, and page_size for a new
  // file. WAL is set by the migrator.
  // The first open in the process also turns off SQLite's memory statistics (see .cpp).
  static proxy::Result<std::unique_ptr<Connection>> open(const std::string& path,
                                                         const ConnectionOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements without results; false (and the reason in
  // lastError()) on failure.
  bool exec(const char* sql);
  // Runs one statement without results through the statement cache: for statements
  // run again and again (BEGIN, COMMIT), which exec() would parse anew each time.
  bool run(std::string_view sql);
  // The cached prepared statement for `sql`, or nullptr (see lastError()).
  Statement* prepare(std::string_view sql);
  // The first column of the first row of `sql` (e.g. a PRAGMA); an Error when there is none.
  proxy::Result<int64_t> queryInt(std::string_view sql);

  std::string lastError() const;
  // Turns false when SQLite itself rolled the open transaction back (IOERR, FULL, NOMEM...).
  bool inTransaction() const { return sqlite3_get_autocommit(raw_) == 0; }
  int changes() const { return sqlite3_changes(raw_); }
  sqlite3* raw() const { return raw_; }

 private:
  explicit Connection(sqlite3* raw) : raw_(raw) {}
  static int onBusy(void* self, int attempts) noexcept;

  // Looked up by string_view, so finding a cached statement allocates nothing.
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
  };

  sqlite3* raw_;
  std::chrono::milliseconds busy_timeout_{0};
  std::chrono::steady_clock::time_point busy_since_;  // when the current wait began
  std::unordered_map<std::string, std::unique_ptr<Statement>, SqlHash, std::equal_to<>> statements_;
};

}  // namespace core::storage
