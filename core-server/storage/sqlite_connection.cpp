// SPDX-License-Identifier: Apache-2.0
#include "core-server/storage/sqlite_connection.h"

#include <filesystem>
#include <system_error>
#include <thread>

namespace core::storage {
namespace {

// SQLite's memory statistics take a global mutex around every allocation, and this
// build of SQLite (Debian's: no lookaside) allocates several times per row written.
// Nothing here reads the statistics or sets a soft heap limit, so turn them off. It
// must happen before SQLite initialises; if something else initialised it first, the
// call fails harmlessly and the statistics stay on.
void configureSqliteOnce() {
  static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)configured;
}

}  // namespace

Statement& Statement::bindText(int index, std::string_view value) {
  const char* bytes = value.data() != nullptr ? value.data() : "";  // NULL data would bind NULL
  ok_ = ok_ && sqlite3_bind_text(raw_, index, bytes, static_cast<int>(value.size()),
                                 SQLITE_STATIC) == SQLITE_OK;
  return *this;
}

Statement& Statement::bindInt(int index, int64_t value) {
  ok_ = ok_ && sqlite3_bind_int64(raw_, index, value) == SQLITE_OK;
  return *this;
}

bool Statement::next() {
  if (!ok_) {
    return false;
  }
  const int rc = sqlite3_step(raw_);
  ok_ = rc == SQLITE_ROW || rc == SQLITE_DONE;
  return rc == SQLITE_ROW;
}

bool Statement::run() {
  while (next()) {
  }
  const bool ok = ok_;
  reset();
  return ok;
}

void Statement::reset() {
  sqlite3_reset(raw_);
  sqlite3_clear_bindings(raw_);
  ok_ = true;
}

std::string Statement::text(int column) const {
  const auto* bytes = reinterpret_cast<const char*>(sqlite3_column_text(raw_, column));
  return bytes == nullptr ? std::string() : std::string(bytes, sqlite3_column_bytes(raw_, column));
}

proxy::Result<std::unique_ptr<Connection>> Connection::open(const std::string& path,
                                                            const ConnectionOptions& options) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return proxy::makeError(500, "cannot create " + parent.string() + ": " + ec.message());
    }
  }
  configureSqliteOnce();
  sqlite3* raw = nullptr;
  // NOMUTEX: each connection is confined to one thread at a time by its owner.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string reason = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close(raw);
    return proxy::makeError(500, "cannot open " + path + ": " + reason);
  }
  std::unique_ptr<Connection> connection(new Connection(raw));
  sqlite3_extended_result_codes(raw, 1);
  connection->busy_timeout_ = std::chrono::milliseconds(options.busy_timeout_ms);
  sqlite3_busy_handler(raw, &Connection::onBusy, connection.get());
  // 2 KiB pages for a new database (an existing one keeps its size): a commit
  // writes each page it dirtied to the WAL and checksums it, and a binding write
  // dirties a few leaves, so smaller pages cut a commit's cost by a fifth.
  std::string pragmas = "PRAGMA page_size=2048;";
  pragmas += options.synchronous_full ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;";
  pragmas += "PRAGMA foreign_keys=ON;";
  if (options.cache_kib > 0) {
    pragmas += "PRAGMA cache_size=-" + std::to_string(options.cache_kib) + ";";  // negative: KiB
  }
  if (!connection->exec(pragmas.c_str())) {
    return proxy::makeError(500, "cannot configure " + path + ": " + connection->lastError());
  }
  return connection;
}

// Like sqlite3_busy_timeout, but retries every millisecond instead of backing off to
// 100 ms: the server's writer holds the lock most of the time under load and frees it
// only briefly between batches, so a backing-off confabctl (or writer) could starve.
int Connection::onBusy(void* self, int attempts) noexcept {
  auto* connection = static_cast<Connection*>(self);
  const auto now = std::chrono::steady_clock::now();
  if (attempts == 0) {
    connection->busy_since_ = now;
  }
  if (now - connection->busy_since_ >= connection->busy_timeout_) {
    return 0;  // give up: the statement fails with SQLITE_BUSY
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return 1;
}

Connection::~Connection() {
  statements_.clear();  // finalize before close, or sqlite3_close reports BUSY
  sqlite3_close(raw_);
}

bool Connection::exec(const char* sql) {
  return sqlite3_exec(raw_, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
}

bool Connection::run(std::string_view sql) {
  Statement* statement = prepare(sql);
  return statement != nullptr && statement->run();
}

Statement* Connection::prepare(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) {
    return it->second.get();
  }
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v3(raw_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &raw, nullptr) != SQLITE_OK) {
    return nullptr;
  }
  auto [inserted, unused] = statements_.emplace(std::string(sql), std::make_unique<Statement>(raw));
  return inserted->second.get();
}

proxy::Result<int64_t> Connection::queryInt(std::string_view sql) {
  Statement* statement = prepare(sql);
  if (statement == nullptr) {
    return proxy::makeError(500, lastError());
  }
  StatementScope scope(*statement);
  if (!statement->next()) {
    return proxy::makeError(500, statement->ok() ? "no row" : lastError());
  }
  return statement->integer(0);
}

std::string Connection::lastError() const { return sqlite3_errmsg(raw_); }

}  // namespace core::storage
