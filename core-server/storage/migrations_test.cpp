// SPDX-License-Identifier: Apache-2.0
#include "core-server/storage/migrations.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include "core-server/storage/sqlite_store.h"
#include "core-server/storage/storage_testing.h"

using namespace core::storage;
using core::storage::testing::TempDir;

namespace {

std::unique_ptr<Connection> openRaw(const std::string& path) {
  auto connection = Connection::open(path, {});
  REQUIRE(connection);
  return std::move(*connection);
}

int64_t tableCount(Connection& c, const std::string& name) {
  return *c.queryInt("SELECT count(*) FROM sqlite_master WHERE name = '" + name + "'");
}

}  // namespace

TEST_CASE("a fresh file is migrated to the current schema in WAL mode, and reopening is a no-op") {
  TempDir dir;
  const std::string path = dir.file("var/confab.db");
  const auto known = static_cast<int64_t>(schemaMigrations().size());
  {
    auto c = openRaw(path);
    REQUIRE(migrate(*c));
    CHECK(*c->queryInt("PRAGMA user_version") == known);
    CHECK(tableCount(*c, "users") == 1);
    CHECK(tableCount(*c, "bindings") == 1);
    CHECK(tableCount(*c, "meta") == 1);
    CHECK(tableCount(*c, "state") == 1);
    REQUIRE(c->exec("INSERT INTO users(aor) VALUES('keep@example.test')"));
  }
  auto c = openRaw(path);
  CHECK(*c->queryInt("SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'") == 1);
  REQUIRE(migrate(*c));
  CHECK(*c->queryInt("PRAGMA user_version") == known);
  CHECK(*c->queryInt("SELECT count(*) FROM users") == 1);
}

TEST_CASE("adding a migration step upgrades an existing database by one version") {
  TempDir dir;
  auto c = openRaw(dir.file("confab.db"));
  REQUIRE(migrate(*c));
  std::vector<const char*> steps(schemaMigrations().begin(), schemaMigrations().end());
  steps.push_back("CREATE TABLE offline_messages(id INTEGER PRIMARY KEY, body TEXT)");
  REQUIRE(migrate(*c, steps));
  CHECK(*c->queryInt("PRAGMA user_version") == static_cast<int64_t>(steps.size()));
  CHECK(tableCount(*c, "offline_messages") == 1);
}

TEST_CASE("a failing migration step leaves the database at the previous version") {
  TempDir dir;
  auto c = openRaw(dir.file("confab.db"));
  REQUIRE(migrate(*c));
  std::vector<const char*> steps(schemaMigrations().begin(), schemaMigrations().end());
  steps.push_back("CREATE TABLE half(x); CREATE TABLE broken(");
  auto result = migrate(*c, steps);
  REQUIRE_FALSE(result);
  CHECK(result.error().detail.find("migration") != std::string::npos);
  CHECK(*c->queryInt("PRAGMA user_version") == static_cast<int64_t>(steps.size() - 1));
  CHECK(tableCount(*c, "half") == 0);  // the step's transaction was rolled back
}

TEST_CASE("a database from a newer schema is refused with a clear message") {
  TempDir dir;
  const std::string path = dir.file("confab.db");
  {
    auto c = openRaw(path);
    REQUIRE(migrate(*c));
    const std::string newer =
        "PRAGMA user_version = " + std::to_string(schemaMigrations().size() + 1);
    REQUIRE(c->exec(newer.c_str()));
  }
  std::string error;
  auto store = openSqliteStore(SqliteOptions{.path = path}, &error);
  CHECK(store == nullptr);
  CHECK(error.find("newer than this build") != std::string::npos);
  CHECK(error.find(path) != std::string::npos);
}

TEST_CASE("users_version counts every change to users, whoever makes it") {
  TempDir dir;
  auto c = openRaw(dir.file("confab.db"));
  REQUIRE(migrate(*c));
  auto version = [&] { return *c->queryInt("SELECT value FROM meta WHERE key = 'users_version'"); };
  CHECK(version() == 0);
  REQUIRE(c->exec("INSERT INTO users(aor, realm) VALUES('a@x', 'x')"));
  REQUIRE(c->exec("UPDATE users SET realm = 'y'"));
  REQUIRE(c->exec("INSERT INTO bindings(aor, contact) VALUES('a@x', 'sip:a@1.2.3.4')"));
  CHECK(version() == 2);  // bindings do not count
  REQUIRE(c->exec("DELETE FROM users"));
  CHECK(version() == 3);
}

TEST_CASE("migration 4 rebuilds bindings WITHOUT ROWID and keeps every row") {
  TempDir dir;
  const std::string path = dir.file("confab.db");
  const std::span<const char* const> all = schemaMigrations();
  REQUIRE(all.size() >= 4);
  {
    // A database as the build before step 4 left it, with bindings in it.
    auto c = openRaw(path);
    REQUIRE(migrate(*c, all.first(3)));
    REQUIRE(*c->queryInt("PRAGMA user_version") == 3);
    REQUIRE(c->exec("INSERT INTO users(aor, realm) VALUES('a@x', 'x')"));
    REQUIRE(c->exec(
        "INSERT INTO bindings VALUES('a@x', 'sip:a@1.2.3.4', '<urn:uuid:1>', 'tcp/7', 'c1', 5, "
        "2000000000, 500, 'UA/1', 'transport=tcp'), "
        "('a@x', 'sip:a@5.6.7.8', '', '', 'c2', 1, 1900000000, 1000, '', ''), "
        "('b@x', 'sip:b@1.2.3.4', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"));
  }
  auto c = openRaw(path);
  const auto dump = [&](Connection& conn) {
    std::string out;
    Statement* rows = conn.prepare(
        "SELECT quote(aor), quote(contact), quote(instance), quote(flow), quote(call_id), "
        "quote(cseq), quote(expires_at), quote(q1000), quote(user_agent), quote(params) "
        "FROM bindings ORDER BY aor, contact");
    REQUIRE(rows != nullptr);
    StatementScope scope(*rows);
    while (rows->next()) {
      for (int i = 0; i < 10; ++i) {
        out.append(rows->text(i)).append(i == 9 ? "\n" : "|");
      }
    }
    return out;
  };
  const std::string before = dump(*c);
  CHECK(std::count(before.begin(), before.end(), '\n') == 3);
  REQUIRE(migrate(*c));
  CHECK(*c->queryInt("PRAGMA user_version") == static_cast<int64_t>(all.size()));
  CHECK(dump(*c) == before);
  CHECK(*c->queryInt("SELECT count(*) FROM users") == 1);
  CHECK(*c->queryInt("SELECT count(*) FROM sqlite_master WHERE name = 'bindings' AND "
                     "sql LIKE '%WITHOUT ROWID%'") == 1);
  CHECK(tableCount(*c, "bindings_expires_at") == 1);
  CHECK(tableCount(*c, "bindings_v4") == 0);
  // Still keyed by (aor, contact): the store's upsert replaces, never duplicates.
  REQUIRE(
      c->exec("INSERT INTO bindings(aor, contact, cseq) VALUES('a@x', 'sip:a@5.6.7.8', 2) "
              "ON CONFLICT(aor, contact) DO UPDATE SET cseq = excluded.cseq"));
  CHECK(*c->queryInt("SELECT count(*) FROM bindings") == 3);
  CHECK(*c->queryInt("SELECT cseq FROM bindings WHERE contact = 'sip:a@5.6.7.8'") == 2);
}
