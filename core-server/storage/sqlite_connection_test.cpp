// SPDX-License-Identifier: Apache-2.0
#include "core-server/storage/sqlite_connection.h"

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "core-server/storage/storage_testing.h"

using namespace core::storage;
using core::storage::testing::TempDir;

TEST_CASE("a connection creates missing parent directories and applies its pragmas") {
  TempDir dir;
  const std::string path = dir.file("a/b/c/confab.db");
  auto normal = Connection::open(path, ConnectionOptions{});
  REQUIRE(normal);
  CHECK(std::filesystem::exists(path));
  CHECK(*(*normal)->queryInt("PRAGMA synchronous") == 1);  // NORMAL
  CHECK(*(*normal)->queryInt("PRAGMA foreign_keys") == 1);

  auto full =
      Connection::open(path, ConnectionOptions{.synchronous_full = true, .cache_kib = 8192});
  REQUIRE(full);
  CHECK(*(*full)->queryInt("PRAGMA synchronous") == 2);  // FULL
  CHECK(*(*full)->queryInt("PRAGMA cache_size") == -8192);
}

TEST_CASE("a new database gets 2 KiB pages; an existing one keeps its page size") {
  TempDir dir;
  auto fresh = Connection::open(dir.file("new.db"), {});
  REQUIRE(fresh);
  REQUIRE((*fresh)->exec("PRAGMA journal_mode=WAL; CREATE TABLE t(k TEXT PRIMARY KEY)"));
  CHECK(*(*fresh)->queryInt("PRAGMA page_size") == 2048);

  const std::string old_path = dir.file("old.db");
  {
    auto old = Connection::open(old_path, {});
    REQUIRE(old);
    // As made before: 4 KiB pages, then WAL, which fixes the page size for good.
    REQUIRE((*old)->exec("PRAGMA page_size=4096; PRAGMA journal_mode=WAL; CREATE TABLE t(k)"));
  }
  auto reopened = Connection::open(old_path, {});
  REQUIRE(reopened);
  CHECK(*(*reopened)->queryInt("PRAGMA page_size") == 4096);
  CHECK((*reopened)->exec("INSERT INTO t VALUES ('still writable')"));
}

TEST_CASE("an unopenable path is an error, not a crash") {
  TempDir dir;
  const std::string blocker = dir.file("file");
  REQUIRE(Connection::open(blocker, {}));  // a regular file where a directory should be
  auto nested = Connection::open(blocker + "/sub/x.db", {});
  REQUIRE_FALSE(nested);
  CHECK(nested.error().detail.find("cannot create") != std::string::npos);
}

TEST_CASE("prepared statements are cached and reusable after reset") {
  TempDir dir;
  auto db = Connection::open(dir.file("t.db"), {});
  REQUIRE(db);
  Connection& c = **db;
  REQUIRE(c.exec("CREATE TABLE t(k TEXT PRIMARY KEY, v INTEGER)"));
  Statement* insert = c.prepare("INSERT INTO t VALUES(?1, ?2)");
  REQUIRE(insert != nullptr);
  CHECK(c.prepare("INSERT INTO t VALUES(?1, ?2)") == insert);
  CHECK(insert->bindText(1, "a").bindInt(2, 1).run());
  CHECK(insert->bindText(1, "b").bindInt(2, 2).run());
  CHECK_FALSE(insert->bindText(1, "a").bindInt(2, 3).run());  // duplicate key
  CHECK(insert->bindText(1, "c").bindInt(2, 3).run());        // usable after a failure
  CHECK(*c.queryInt("SELECT sum(v) FROM t") == 6);
  CHECK(c.prepare("SELECT nonsense FROM") == nullptr);
  CHECK_FALSE(c.queryInt("SELECT v FROM t WHERE k = 'zzz'"));
}

TEST_CASE("a busy connection waits for the lock, up to its busy timeout") {
  TempDir dir;
  const std::string path = dir.file("t.db");
  auto holder = Connection::open(path, {});
  auto waiter = Connection::open(path, ConnectionOptions{.busy_timeout_ms = 200});
  REQUIRE(holder);
  REQUIRE(waiter);
  REQUIRE((*holder)->exec("PRAGMA journal_mode=WAL; CREATE TABLE t(x)"));

  REQUIRE((*holder)->exec("BEGIN IMMEDIATE"));
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE((*waiter)->exec("BEGIN IMMEDIATE"));  // still held when the timeout ends
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= std::chrono::milliseconds(200));
  CHECK(waited < std::chrono::seconds(5));

  // Released while the waiter waits: the waiter gets the lock.
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the holder's work
    (*holder)->exec("COMMIT");
  });
  CHECK((*waiter)->exec("BEGIN IMMEDIATE"));
  release.join();
  CHECK((*waiter)->exec("COMMIT"));
}
