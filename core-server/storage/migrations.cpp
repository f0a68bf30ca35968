// SPDX-License-Identifier: Apache-2.0
#include "core-server/storage/migrations.h"

#include <string>

#include "proxy/base/log.h"

namespace core::storage {
namespace {

// Append a step to change the schema; never edit a step that has shipped.
constexpr const char* kMigrations[] = {
    // 1: users, bindings, and a users_version that triggers bump on every change to
    // users, whoever makes it (confabctl, the sqlite3 shell), so a running server can
    // notice without being fooled by its own binding writes.
    R"sql(
      CREATE TABLE users(aor TEXT PRIMARY KEY, realm TEXT, ha1_md5 TEXT, ha1_sha256 TEXT);
      CREATE TABLE bindings(aor TEXT, contact TEXT, instance TEXT, flow TEXT, call_id TEXT,
                            cseq INTEGER, expires_at INTEGER, q1000 INTEGER, user_agent TEXT,
                            params TEXT, PRIMARY KEY(aor, contact));
      CREATE INDEX bindings_expires_at ON bindings(expires_at);
      CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT INTO meta(key, value) VALUES('users_version', 0);
      CREATE TRIGGER users_inserted AFTER INSERT ON users BEGIN
        UPDATE meta SET value = value + 1 WHERE key = 'users_version'; END;
      CREATE TRIGGER users_updated AFTER UPDATE ON users BEGIN
        UPDATE meta SET value = value + 1 WHERE key = 'users_version'; END;
      CREATE TRIGGER users_deleted AFTER DELETE ON users BEGIN
        UPDATE meta SET value = value + 1 WHERE key = 'users_version'; END;
    )sql",
    // 2: service state records (see StateRecord in store.h).
    R"sql(
      CREATE TABLE state(kind TEXT, key TEXT, aor TEXT, value TEXT, expires_at INTEGER,
                         PRIMARY KEY(kind, key));
      CREATE INDEX state_expires_at ON state(expires_at) WHERE expires_at > 0;
    )sql",
    // 3: the NTLM password hash, for OCS/Lync-dialect clients that cannot do digest.
    // Users added before it have none until `confabctl user add` sets them again.
    R"sql(
      ALTER TABLE users ADD COLUMN nt_hash TEXT NOT NULL DEFAULT '';
    )sql",
    // 4: bindings WITHOUT ROWID: the rows live in the (aor, contact) key's B-tree
    // itself, so an upsert writes one B-tree fewer (no rowid table beside the key's
    // index). Rows with a NULL key, which no build writes, cannot be carried over.
    R"sql(
      CREATE TABLE bindings_v4(aor TEXT, contact TEXT, instance TEXT, flow TEXT, call_id TEXT,
                               cseq INTEGER, expires_at INTEGER, q1000 INTEGER, user_agent TEXT,
                               params TEXT, PRIMARY KEY(aor, contact)) WITHOUT ROWID;
      INSERT INTO bindings_v4(aor, contact, instance, flow, call_id, cseq, expires_at, q1000,
                              user_agent, params)
        SELECT aor, contact, instance, flow, call_id, cseq, expires_at, q1000, user_agent, params
        FROM bindings WHERE aor IS NOT NULL AND contact IS NOT NULL;
      DROP TABLE bindings;
      ALTER TABLE bindings_v4 RENAME TO bindings;
      CREATE INDEX bindings_expires_at ON bindings(expires_at);
    )sql",
};

proxy::Error failure(const std::string& what, Connection& connection) {
  return proxy::makeError(500, what + ": " + connection.lastError());
}

// Applies the next step if one is missing. Reading the version inside BEGIN IMMEDIATE
// makes a second process that raced us see our result instead of re-running the step.
proxy::Result<bool> applyNext(Connection& connection, std::span<const char* const> steps) {
  if (!connection.exec("BEGIN IMMEDIATE")) {
    return failure("cannot begin migration", connection);
  }
  auto version = connection.queryInt("PRAGMA user_version");
  const auto known = static_cast<int64_t>(steps.size());
  if (!version || *version >= known) {
    connection.exec("ROLLBACK");
    if (!version) {
      return version.error();
    }
    if (*version > known) {
      return proxy::makeError(500, "database schema version " + std::to_string(*version) +
                                       " is newer than this build knows (" + std::to_string(known) +
                                       "); run a newer confab or restore a matching backup");
    }
    return false;
  }
  const std::string bump = "PRAGMA user_version = " + std::to_string(*version + 1);
  if (!connection.exec(steps[*version]) || !connection.exec(bump.c_str()) ||
      !connection.exec("COMMIT")) {
    auto error = failure("migration " + std::to_string(*version + 1) + " failed", connection);
    connection.exec("ROLLBACK");
    return error;
  }
  LOG_INFO("storage: migrated schema to version %lld", static_cast<long long>(*version + 1));
  return true;
}

}  // namespace

std::span<const char* const> schemaMigrations() { return kMigrations; }

proxy::Result<void> migrate(Connection& connection) {
  return migrate(connection, schemaMigrations());
}

proxy::Result<void> migrate(Connection& connection, std::span<const char* const> steps) {
  // WAL lets the server's writer, its readers and confabctl work side by side.
  Statement* journal = connection.prepare("PRAGMA journal_mode=WAL");
  if (journal == nullptr) {
    return failure("cannot set WAL", connection);
  }
  {
    StatementScope scope(*journal);
    if (!journal->next() || journal->text(0) != "wal") {
      return failure("cannot set WAL", connection);
    }
  }
  while (true) {
    auto applied = applyNext(connection, steps);
    if (!applied) {
      return applied.error();
    }
    if (!*applied) {
      return {};
    }
  }
}

}  // namespace core::storage
