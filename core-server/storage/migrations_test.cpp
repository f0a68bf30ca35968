// SPDX-License-Identifier: Apache-2.0
#include "core-server/storage/migrations.h"

#include <doctest/doctest.h>

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
