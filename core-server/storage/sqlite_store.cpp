// SPDX-License-Identifier: Apache-2.0
#include "core-server/storage/sqlite_store.h"

#include <algorithm>
#include <bit>
#include <string>
#include <utility>

#include "core-server/storage/migrations.h"
#include "proxy/base/log.h"

namespace core::storage {
namespace {

constexpr std::string_view kUsersVersion = "SELECT value FROM meta WHERE key = 'users_version'";
constexpr std::string_view kSelectUsers =
    "SELECT aor, realm, ha1_md5, ha1_sha256, nt_hash FROM users ORDER BY aor";
constexpr std::string_view kUpsertUser =
    "INSERT INTO users(aor, realm, ha1_md5, ha1_sha256, nt_hash) VALUES(?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT(aor) DO UPDATE SET realm = excluded.realm, ha1_md5 = excluded.ha1_md5, "
    "ha1_sha256 = excluded.ha1_sha256, nt_hash = excluded.nt_hash";
constexpr std::string_view kDeleteUser = "DELETE FROM users WHERE aor = ?1";
constexpr std::string_view kSelectBindings =
    "SELECT aor, contact, instance, flow, call_id, cseq, expires_at, q1000, user_agent, params "
    "FROM bindings ORDER BY aor, contact";
// Saving a binding is an upsert, not INSERT OR REPLACE: REPLACE deletes the old row from
// the table and its index and inserts it anew, while a refresh only changes columns
// outside the key, so the upsert rewrites the row in place. (The table is WITHOUT ROWID
// since schema 4: the rows live in the (aor, contact) B-tree, no separate key index.)
// Later rows of one multi-row upsert update those before them, in order.
constexpr int kSaveColumns = 10;  // parameters per binding, in bindSave()'s order
constexpr std::string_view kSaveInto =
    "INSERT INTO bindings(aor, contact, instance, flow, call_id, cseq, expires_at, q1000, "
    "user_agent, params) VALUES ";
constexpr std::string_view kSaveRow = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr std::string_view kSaveConflict =
    " ON CONFLICT(aor, contact) DO UPDATE SET instance = excluded.instance, "
    "flow = excluded.flow, call_id = excluded.call_id, cseq = excluded.cseq, "
    "expires_at = excluded.expires_at, q1000 = excluded.q1000, "
    "user_agent = excluded.user_agent, params = excluded.params";
constexpr std::string_view kDeleteBinding = "DELETE FROM bindings WHERE aor = ?1 AND contact = ?2";
constexpr std::string_view kDeleteExpired = "DELETE FROM bindings WHERE expires_at <= ?1";
constexpr std::string_view kSelectStates =
    "SELECT kind, key, aor, value, expires_at FROM state "
    "WHERE kind = ?1 AND (expires_at = 0 OR expires_at > ?2) ORDER BY key";
constexpr std::string_view kUpsertState =
    "INSERT INTO state(kind, key, aor, value, expires_at) VALUES(?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT(kind, key) DO UPDATE SET aor = excluded.aor, value = excluded.value, "
    "expires_at = excluded.expires_at";
constexpr std::string_view kDeleteState = "DELETE FROM state WHERE kind = ?1 AND key = ?2";
constexpr std::string_view kDeleteExpiredStates =
    "DELETE FROM state WHERE expires_at > 0 AND expires_at <= ?1";

// Marks the users as unknown after a failed load, so the next poll asks for a reload.
constexpr int64_t kUsersUnknown = -1;

// Runs one write statement; `bind` fills its parameters.
template <typename Bind>
bool runWrite(Statement& statement, Bind bind) {
  bind(statement);
  return statement.run();
}

// The same, looking the statement up in the connection's cache.
template <typename Bind>
bool runWrite(Connection& db, std::string_view sql, Bind bind) {
  Statement* statement = db.prepare(sql);
  return statement != nullptr && runWrite(*statement, bind);
}

// The upsert of `rows` bindings.
std::string saveSql(size_t rows) {
  std::string sql(kSaveInto);
  for (size_t row = 0; row < rows; ++row) {
    sql += row == 0 ? "" : ", ";
    sql += kSaveRow;
  }
  sql += kSaveConflict;
  return sql;
}

// Binds `b` to the kSaveColumns parameters after `before`.
void bindSave(Statement& s, int before, const BindingRecord& b) {
  s.bindText(before + 1, b.aor).bindText(before + 2, b.contact).bindText(before + 3, b.instance);
  s.bindText(before + 4, b.flow).bindText(before + 5, b.call_id).bindInt(before + 6, b.cseq);
  s.bindInt(before + 7, b.expires_at).bindInt(before + 8, b.q1000);
  s.bindText(before + 9, b.user_agent).bindText(before + 10, b.params);
}

}  // namespace

proxy::Result<SqliteStore::BindingStatements> SqliteStore::prepareBindingWrites(
    Connection& writer) {
  BindingStatements statements{};
  bool ok = true;
  for (size_t k = 0; k < statements.save.size(); ++k) {
    statements.save[k] = writer.prepare(saveSql(size_t{1} << k));
    ok = ok && statements.save[k] != nullptr;
  }
  statements.remove = writer.prepare(kDeleteBinding);
  statements.expire = writer.prepare(kDeleteExpired);
  if (!ok || statements.remove == nullptr || statements.expire == nullptr) {
    return proxy::makeError(500, "cannot prepare the binding writes: " + writer.lastError());
  }
  return statements;
}

bool SqliteStore::saveBindings(const BindingStatements& statements,
                               std::span<const BindingRecord* const> bindings) {
  constexpr size_t kSizes = std::tuple_size_v<decltype(BindingStatements::save)>;
  constexpr size_t kMostRows = size_t{1} << (kSizes - 1);
  while (!bindings.empty()) {
    const size_t rows = std::bit_floor(std::min(bindings.size(), kMostRows));
    Statement& statement = *statements.save[static_cast<size_t>(std::countr_zero(rows))];
    for (size_t row = 0; row < rows; ++row) {
      bindSave(statement, static_cast<int>(row) * kSaveColumns, *bindings[row]);
    }
    if (!statement.run()) {
      return false;
    }
    bindings = bindings.subspan(rows);
  }
  return true;
}

proxy::Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const SqliteOptions& options) {
  const ConnectionOptions connection_options{options.synchronous_full, options.busy_timeout_ms};
  auto fail = [&](const proxy::Error& error) {
    return proxy::makeError(500, "storage " + options.path + ": " + error.detail);
  };
  auto sync = Connection::open(options.path, connection_options);
  if (!sync) {
    return fail(sync.error());
  }
  if (auto migrated = migrate(**sync); !migrated) {
    return fail(migrated.error());
  }
  ConnectionOptions writer_options = connection_options;
  writer_options.cache_kib = options.writer_cache_kib;
  auto write = Connection::open(options.path, writer_options);
  if (!write) {
    return fail(write.error());
  }
  auto bindings = prepareBindingWrites(**write);
  if (!bindings) {
    return fail(bindings.error());
  }
  auto poll = Connection::open(options.path, connection_options);
  if (!poll) {
    return fail(poll.error());
  }
  auto version = (*poll)->queryInt(kUsersVersion);
  if (!version) {
    return fail(version.error());
  }
  auto writer = std::make_unique<StorageThread>(
      std::move(*write), StorageThread::Options{options.max_batch, options.max_delay_us},
      [statements = *bindings](Connection&, std::span<const BindingRecord* const> records) {
        return saveBindings(statements, records);
      });
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(std::move(*sync), std::move(*poll), std::move(writer), *bindings, *version));
}

SqliteStore::SqliteStore(std::unique_ptr<Connection> sync, std::unique_ptr<Connection> poll,
                         std::unique_ptr<StorageThread> writer, BindingStatements bindings,
                         int64_t users_version)
    : sync_(std::move(sync)),
      poll_(std::move(poll)),
      seen_users_version_(users_version),
      bindings_(bindings),
      writer_(std::move(writer)) {}

SqliteStore::~SqliteStore() {
  writer_.reset();  // commits what is queued before the connections close
}

std::vector<UserRecord> SqliteStore::loadUsers() {
  std::lock_guard lock(sync_mutex_);
  Connection& db = *sync_;
  std::vector<UserRecord> users;
  // One read transaction, so the version we remember matches the rows we return.
  bool ok = db.exec("BEGIN");
  auto version = db.queryInt(kUsersVersion);
  Statement* select = db.prepare(kSelectUsers);
  ok = ok && version && select != nullptr;
  if (ok) {
    StatementScope scope(*select);
    while (select->next()) {
      users.push_back(UserRecord{select->text(0), select->text(1), select->text(2), select->text(3),
                                 select->text(4)});
    }
    ok = select->ok();
  }
  if (!ok) {
    LOG_ERROR("storage: cannot load users: %s", db.lastError().c_str());
  }
  db.exec("COMMIT");
  seen_users_version_.store(ok ? *version : kUsersUnknown);
  return ok ? users : std::vector<UserRecord>{};
}

bool SqliteStore::changeUsers(const std::function<bool(Connection&)>& change) {
  Connection& db = *sync_;
  if (!db.exec("BEGIN IMMEDIATE")) {  // waits up to busy_timeout for the server's writer
    LOG_ERROR("storage: cannot change users: %s", db.lastError().c_str());
    return false;
  }
  auto before = db.queryInt(kUsersVersion);
  const bool changed = before && change(db);
  auto after = db.queryInt(kUsersVersion);
  if (!changed || !after || !db.exec("COMMIT")) {
    LOG_ERROR("storage: cannot change users: %s", db.lastError().c_str());
    db.exec("ROLLBACK");
    return false;
  }
  // Our own change is not news to us, unless someone else's was still unseen.
  int64_t expected = *before;
  seen_users_version_.compare_exchange_strong(expected, *after);
  return true;
}

bool SqliteStore::putUser(const UserRecord& user) {
  std::lock_guard lock(sync_mutex_);
  return changeUsers([&](Connection& db) {
    return runWrite(db, kUpsertUser, [&](Statement& s) {
      s.bindText(1, user.aor).bindText(2, user.realm).bindText(3, user.ha1_md5);
      s.bindText(4, user.ha1_sha256).bindText(5, user.nt_hash);
    });
  });
}

bool SqliteStore::deleteUser(const std::string& aor) {
  std::lock_guard lock(sync_mutex_);
  bool removed = false;
  const bool ok = changeUsers([&](Connection& db) {
    const bool ran = runWrite(db, kDeleteUser, [&](Statement& s) { s.bindText(1, aor); });
    removed = ran && db.changes() > 0;  // counts rows of the statement, not its triggers
    return ran;
  });
  return ok && removed;
}

bool SqliteStore::changedExternally() {
  std::lock_guard lock(poll_mutex_);
  auto version = poll_->queryInt(kUsersVersion);
  if (!version) {
    LOG_WARN("storage: cannot read users_version: %s", version.error().detail.c_str());
    return false;
  }
  return seen_users_version_.exchange(*version) != *version;
}

std::vector<BindingRecord> SqliteStore::loadBindings() {
  std::lock_guard lock(sync_mutex_);
  std::vector<BindingRecord> bindings;
  Statement* select = sync_->prepare(kSelectBindings);
  if (select != nullptr) {
    StatementScope scope(*select);
    while (select->next()) {
      BindingRecord& b = bindings.emplace_back();
      b.aor = select->text(0);
      b.contact = select->text(1);
      b.instance = select->text(2);
      b.flow = select->text(3);
      b.call_id = select->text(4);
      b.cseq = static_cast<uint32_t>(select->integer(5));
      b.expires_at = select->integer(6);
      b.q1000 = static_cast<int32_t>(select->integer(7));
      b.user_agent = select->text(8);
      b.params = select->text(9);
    }
    if (select->ok()) {
      return bindings;
    }
  }
  LOG_ERROR("storage: cannot load bindings: %s", sync_->lastError().c_str());
  return {};
}

void SqliteStore::saveBinding(BindingRecord binding, Poster post, std::function<void(bool)> done) {
  writer_->submitSave(std::move(binding), std::move(post), std::move(done));
}

void SqliteStore::deleteBinding(std::string aor, std::string contact, Poster post,
                                std::function<void(bool)> done) {
  auto write = [statement = bindings_.remove, aor = std::move(aor),
                contact = std::move(contact)](Connection&) {
    return runWrite(*statement, [&](Statement& s) { s.bindText(1, aor).bindText(2, contact); });
  };
  writer_->submit(std::move(write), std::move(post), std::move(done));
}

void SqliteStore::deleteExpiredBindings(int64_t now_unix) {
  auto write = [statement = bindings_.expire, now_unix](Connection&) {
    return runWrite(*statement, [&](Statement& s) { s.bindInt(1, now_unix); });
  };
  writer_->submit(std::move(write), {}, {});
}

std::vector<StateRecord> SqliteStore::loadStates(const std::string& kind, int64_t now_unix) {
  std::lock_guard lock(sync_mutex_);
  std::vector<StateRecord> records;
  Statement* select = sync_->prepare(kSelectStates);
  if (select == nullptr) {
    LOG_ERROR("storage: cannot load %s records: %s", kind.c_str(), sync_->lastError().c_str());
    return records;
  }
  StatementScope scope(*select);
  select->bindText(1, kind).bindInt(2, now_unix);
  while (select->next()) {
    records.push_back(StateRecord{select->text(0), select->text(1), select->text(2),
                                  select->text(3), select->integer(4)});
  }
  if (!select->ok()) {
    LOG_ERROR("storage: loading %s records failed: %s", kind.c_str(), sync_->lastError().c_str());
  }
  return records;
}

void SqliteStore::putState(StateRecord record, Poster post, std::function<void(bool)> done) {
  auto write = [record = std::move(record)](Connection& db) {
    return runWrite(db, kUpsertState, [&](Statement& s) {
      s.bindText(1, record.kind).bindText(2, record.key).bindText(3, record.aor);
      s.bindText(4, record.value).bindInt(5, record.expires_at);
    });
  };
  writer_->submit(std::move(write), std::move(post), std::move(done));
}

void SqliteStore::deleteState(std::string kind, std::string key, Poster post,
                              std::function<void(bool)> done) {
  auto write = [kind = std::move(kind), key = std::move(key)](Connection& db) {
    return runWrite(db, kDeleteState, [&](Statement& s) { s.bindText(1, kind).bindText(2, key); });
  };
  writer_->submit(std::move(write), std::move(post), std::move(done));
}

void SqliteStore::deleteExpiredStates(int64_t now_unix) {
  auto write = [now_unix](Connection& db) {
    return runWrite(db, kDeleteExpiredStates, [&](Statement& s) { s.bindInt(1, now_unix); });
  };
  writer_->submit(std::move(write), {}, {});
}

void SqliteStore::flush() { writer_->flush(); }

std::unique_ptr<Store> openSqliteStore(const SqliteOptions& options, std::string* error) {
  auto store = SqliteStore::open(options);
  if (!store) {
    if (error != nullptr) {
      *error = store.error().detail;
    }
    return nullptr;
  }
  return std::move(*store);
}

}  // namespace core::storage
