// SPDX-License-Identifier: Apache-2.0
#include "core-server/storage/sqlite_store.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "core-server/storage/storage_testing.h"

using namespace core::storage;
using namespace core::storage::testing;

namespace {

std::unique_ptr<SqliteStore> openStore(const std::string& path, uint32_t max_delay_us = 2000) {
  auto store = SqliteStore::open(SqliteOptions{.path = path, .max_delay_us = max_delay_us});
  if (!store) {
    FAIL(store.error().detail);
  }
  return std::move(*store);
}

UserRecord makeUser(const std::string& aor, const std::string& ha1 = "00") {
  return UserRecord{aor, "example.test", ha1, ha1 + ha1, "nt" + ha1};
}

// Saves and waits for the posted completion; returns its verdict.
bool saveAndWait(Store& store, TestLoop& loop, BindingRecord binding) {
  std::optional<bool> result;
  store.saveBinding(std::move(binding), loop.poster(), [&](bool ok) { result = ok; });
  REQUIRE(loop.runUntil([&] { return result.has_value(); }));
  return *result;
}

}  // namespace

TEST_CASE("users: put, update, load, delete") {
  TempDir dir;
  auto store = openStore(dir.file("confab.db"));
  CHECK(store->loadUsers().empty());
  CHECK(store->putUser(makeUser("bob@example.test", "b1")));
  CHECK(store->putUser(makeUser("alice@example.test", "a1")));
  CHECK(store->putUser(makeUser("bob@example.test", "b2")));  // update in place

  auto users = store->loadUsers();
  REQUIRE(users.size() == 2);
  CHECK(users[0].aor == "alice@example.test");  // sorted by AOR
  CHECK(users[1].realm == "example.test");
  CHECK(users[1].ha1_md5 == "b2");
  CHECK(users[1].ha1_sha256 == "b2b2");
  CHECK(users[1].nt_hash == "ntb2");

  CHECK(store->deleteUser("alice@example.test"));
  CHECK_FALSE(store->deleteUser("alice@example.test"));  // no longer there
  CHECK(store->loadUsers().size() == 1);
}

TEST_CASE("bindings: save, replace, delete, expire, and survive a restart") {
  TempDir dir;
  const std::string path = dir.file("var/confab.db");
  TestLoop loop;
  {
    auto store = openStore(path);
    CHECK(saveAndWait(*store, loop, makeBinding("a@x", "sip:a@1", 100)));
    CHECK(saveAndWait(*store, loop, makeBinding("a@x", "sip:a@2", 200)));
    CHECK(saveAndWait(*store, loop, makeBinding("b@x", "sip:b@1", 300)));
    BindingRecord refreshed = makeBinding("a@x", "sip:a@2", 250);
    refreshed.cseq = 8;
    CHECK(saveAndWait(*store, loop, refreshed));  // same (aor, contact): replaces

    std::optional<bool> deleted;
    store->deleteBinding("b@x", "sip:b@1", loop.poster(), [&](bool ok) { deleted = ok; });
    REQUIRE(loop.runUntil([&] { return deleted.has_value(); }));
    CHECK(*deleted);
    store->deleteExpiredBindings(100);  // a@1 expires at exactly 100: gone
    store->flush();
  }
  auto reopened = openStore(path);
  auto bindings = reopened->loadBindings();
  REQUIRE(bindings.size() == 1);
  const BindingRecord expected = [] {
    BindingRecord b = makeBinding("a@x", "sip:a@2", 250);
    b.cseq = 8;
    return b;
  }();
  const BindingRecord& got = bindings[0];
  CHECK(got.aor == expected.aor);
  CHECK(got.contact == expected.contact);
  CHECK(got.instance == expected.instance);
  CHECK(got.flow == expected.flow);
  CHECK(got.call_id == expected.call_id);
  CHECK(got.cseq == 8);
  CHECK(got.expires_at == 250);
  CHECK(got.q1000 == 500);
  CHECK(got.user_agent == expected.user_agent);
  CHECK(got.params == expected.params);
}

TEST_CASE("later writes to the same binding win (writes commit in submission order)") {
  TempDir dir;
  auto store = openStore(dir.file("confab.db"));
  for (uint32_t cseq = 1; cseq <= 300; ++cseq) {
    BindingRecord b = makeBinding("a@x", "sip:a@1");
    b.cseq = cseq;
    store->saveBinding(std::move(b), {}, {});
  }
  store->deleteBinding("a@x", "sip:a@gone", {}, {});
  store->flush();
  auto bindings = store->loadBindings();
  REQUIRE(bindings.size() == 1);
  CHECK(bindings[0].cseq == 300);
}

TEST_CASE("saves and deletes queued together apply in submission order") {
  TempDir dir;
  auto store = openStore(dir.file("confab.db"), 200'000);  // one batch, several save runs
  auto save = [&](const std::string& aor, uint32_t cseq) {
    BindingRecord b = makeBinding(aor, "sip:c@1");
    b.cseq = cseq;
    store->saveBinding(std::move(b), {}, {});
  };
  save("a@x", 1);
  save("b@x", 1);
  save("a@x", 2);  // the same binding twice in one run of saves
  store->deleteBinding("a@x", "sip:c@1", {}, {});
  save("a@x", 3);
  save("c@x", 1);
  store->deleteBinding("b@x", "sip:c@1", {}, {});
  store->flush();
  auto bindings = store->loadBindings();
  REQUIRE(bindings.size() == 2);
  CHECK(bindings[0].aor == "a@x");
  CHECK(bindings[0].cseq == 3);
  CHECK(bindings[1].aor == "c@x");
  CHECK(store->commits() == 1);
}

TEST_CASE("a save's completion runs through the poster, after the row is visible to others") {
  TempDir dir;
  const std::string path = dir.file("confab.db");
  auto store = openStore(path);
  TestLoop loop;
  int64_t rows_when_done = -1;
  store->saveBinding(makeBinding("a@x", "sip:a@1"), loop.poster(), [&](bool ok) {
    CHECK(ok);
    rows_when_done = countRows(path, "bindings", "aor = 'a@x'");
  });
  store->flush();
  CHECK(rows_when_done == -1);  // posted, not run on the storage thread
  REQUIRE(loop.runUntil([&] { return rows_when_done != -1; }));
  CHECK(rows_when_done == 1);
}

TEST_CASE("group commit: many saves take far fewer transactions") {
  TempDir dir;
  auto store = openStore(dir.file("confab.db"), 20'000);
  constexpr int kSaves = 5000;
  TestLoop loop;
  int ok = 0;
  for (int i = 0; i < kSaves; ++i) {
    store->saveBinding(makeBinding("u" + std::to_string(i) + "@x", "sip:c@1"), loop.poster(),
                       [&](bool committed) { ok += committed ? 1 : 0; });
  }
  REQUIRE(loop.runUntil([&] { return ok == kSaves; }));
  MESSAGE("transactions for ", kSaves, " saves: ", store->commits());
  CHECK(store->writes() == kSaves);
  CHECK(store->commits() <= kSaves / 20);
  CHECK(store->loadBindings().size() == kSaves);
}

TEST_CASE("changedExternally sees confabctl's user changes, not the server's own writes") {
  TempDir dir;
  const std::string path = dir.file("confab.db");
  auto server = openStore(path);
  auto confabctl = openStore(path);
  TestLoop loop;

  CHECK_FALSE(server->changedExternally());
  server->loadUsers();
  CHECK_FALSE(server->changedExternally());

  for (int i = 0; i < 20; ++i) {  // the server's own binding traffic
    CHECK(saveAndWait(*server, loop, makeBinding("a@x", "sip:a@" + std::to_string(i))));
  }
  server->deleteExpiredBindings(0);
  server->flush();
  CHECK_FALSE(server->changedExternally());

  REQUIRE(confabctl->putUser(makeUser("carol@example.test")));
  CHECK(server->changedExternally());
  CHECK_FALSE(server->changedExternally());  // reported once
  CHECK(server->loadUsers().size() == 1);

  CHECK(saveAndWait(*confabctl, loop, makeBinding("c@x", "sip:c@1")));  // not a user change
  CHECK_FALSE(server->changedExternally());

  REQUIRE(confabctl->putUser(makeUser("carol@example.test", "new")));
  server->loadUsers();  // a reload also counts as having seen it
  CHECK_FALSE(server->changedExternally());

  CHECK(server->putUser(makeUser("dave@example.test")));  // our own change is not external
  CHECK_FALSE(server->changedExternally());

  REQUIRE(confabctl->deleteUser("carol@example.test"));
  CHECK(server->changedExternally());
  CHECK_FALSE(confabctl->deleteUser("carol@example.test"));  // nothing removed, nothing changed
  CHECK_FALSE(server->changedExternally());
}

TEST_CASE("an external change that happens between our own user writes is still seen") {
  TempDir dir;
  const std::string path = dir.file("confab.db");
  auto server = openStore(path);
  auto confabctl = openStore(path);
  server->loadUsers();
  REQUIRE(confabctl->putUser(makeUser("x@example.test")));
  CHECK(server->putUser(makeUser("y@example.test")));
  CHECK(server->changedExternally());
}

TEST_CASE("confabctl-style putUser succeeds while the server's writer is busy") {
  TempDir dir;
  const std::string path = dir.file("confab.db");
  auto server = openStore(path, 500);
  std::atomic<bool> stop{false};
  std::atomic<int> committed{0};
  std::atomic<int> failed{0};
  std::atomic<int> submitted{0};
  auto inline_post = [](std::function<void()> task) { task(); };
  std::thread registrations([&] {
    for (int i = 0; !stop.load(); ++i) {
      server->saveBinding(makeBinding("u" + std::to_string(i % 2000) + "@x", "sip:c@1"),
                          inline_post, [&](bool ok) { (ok ? committed : failed)++; });
      ++submitted;
      if (i % 64 == 63) {  // keep the queue bounded: a real load, not an infinite backlog
        while (submitted.load() - committed.load() - failed.load() > 1024 && !stop.load()) {
          std::this_thread::yield();
        }
      }
    }
  });

  // Start only once the writer is visibly busy, and check it stayed busy throughout.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (committed.load() < 1000 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  REQUIRE(committed.load() >= 1000);
  constexpr int kUsers = 200;
  int put = 0;
  const int committed_before = committed.load();
  std::chrono::steady_clock::duration worst{};
  {
    auto confabctl = openStore(path);
    for (int i = 0; i < kUsers; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      put += confabctl->putUser(makeUser("user" + std::to_string(i) + "@example.test")) ? 1 : 0;
      worst = std::max(worst, std::chrono::steady_clock::now() - t0);
    }
  }
  const int committed_during = committed.load() - committed_before;
  stop = true;
  registrations.join();
  server->flush();

  CHECK(put == kUsers);
  CHECK(failed.load() == 0);
  CHECK(committed.load() == submitted.load());
  MESSAGE("binding writes committed during the confabctl run: ", committed_during);
  MESSAGE("worst putUser ms: ",
          std::chrono::duration_cast<std::chrono::milliseconds>(worst).count());
  CHECK(server->changedExternally());
  CHECK(server->loadUsers().size() == kUsers);
}

TEST_CASE("open fails with a message when the path cannot be a database") {
  TempDir dir;
  std::string error;
  auto store = openSqliteStore(SqliteOptions{.path = dir.path()}, &error);  // a directory
  CHECK(store == nullptr);
  CHECK(error.find(dir.path()) != std::string::npos);
}

TEST_CASE("state records: upsert, delete, expiry, per kind, and survive a restart") {
  TempDir dir;
  const std::string path = dir.file("confab.db");
  TestLoop loop;
  {
    auto store = openStore(path);
    int done = 0;
    auto count = [&](bool ok) {
      CHECK(ok);
      ++done;
    };
    store->putState({"presence.sub", "k1", "alice@x", "v1", 0}, loop.poster(), count);
    store->putState({"presence.sub", "k2", "bob@x", "v2", 100}, loop.poster(), count);
    store->putState({"presence.pub", "k1", "alice@x", "other kind", 0}, loop.poster(), count);
    store->putState({"presence.sub", "k1", "alice@x", "v1b", 500}, loop.poster(), count);
    REQUIRE(loop.runUntil([&] { return done == 4; }));

    auto subs = store->loadStates("presence.sub", 50);
    REQUIRE(subs.size() == 2);
    CHECK(subs[0].key == "k1");
    CHECK(subs[0].value == "v1b");  // replaced in place
    CHECK(subs[0].expires_at == 500);
    CHECK(subs[1].aor == "bob@x");
    CHECK(store->loadStates("presence.sub", 100).size() == 1);  // k2 expired at 100

    store->deleteExpiredStates(100);
    store->deleteState("presence.pub", "k1", loop.poster(), count);
    REQUIRE(loop.runUntil([&] { return done == 5; }));
  }
  auto reopened = openStore(path);
  auto subs = reopened->loadStates("presence.sub", 0);
  REQUIRE(subs.size() == 1);
  CHECK(subs[0].value == "v1b");
  CHECK(reopened->loadStates("presence.pub", 0).empty());
}
