// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "core-server/storage/storage_testing.h"
#include "core-server/storage/store.h"

using namespace core::storage;
using namespace core::storage::testing;

TEST_CASE("memory store: users") {
  auto store = openMemoryStore();
  CHECK(store->putUser(UserRecord{"b@x", "x", "1", "2", ""}));
  CHECK(store->putUser(UserRecord{"a@x", "x", "3", "4", ""}));
  CHECK(store->putUser(UserRecord{"b@x", "x", "5", "6", ""}));
  auto users = store->loadUsers();
  REQUIRE(users.size() == 2);
  CHECK(users[0].aor == "a@x");
  CHECK(users[1].ha1_md5 == "5");
  CHECK(store->deleteUser("a@x"));
  CHECK_FALSE(store->deleteUser("a@x"));
  CHECK_FALSE(store->changedExternally());
}

TEST_CASE("memory store: binding completions arrive through the poster, like SQLite's") {
  auto store = openMemoryStore();
  TestLoop loop;
  int done = 0;
  store->saveBinding(makeBinding("a@x", "sip:a@1", 100), loop.poster(), [&](bool ok) {
    CHECK(ok);
    ++done;
  });
  store->saveBinding(makeBinding("a@x", "sip:a@2", 200), loop.poster(), [&](bool) { ++done; });
  CHECK(done == 0);  // not called inline
  REQUIRE(loop.runUntil([&] { return done == 2; }));

  BindingRecord replaced = makeBinding("a@x", "sip:a@2", 300);
  store->saveBinding(replaced, {}, {});
  store->deleteBinding("a@x", "sip:a@missing", loop.poster(), [&](bool) { ++done; });
  REQUIRE(loop.runUntil([&] { return done == 3; }));
  CHECK(store->loadBindings().size() == 2);

  store->deleteExpiredBindings(100);
  store->flush();
  auto bindings = store->loadBindings();
  REQUIRE(bindings.size() == 1);
  CHECK(bindings[0].expires_at == 300);
}

TEST_CASE("memory store: state records by kind, with expiry") {
  auto store = openMemoryStore();
  TestLoop loop;
  int done = 0;
  store->putState({"k", "a", "x@y", "1", 0}, loop.poster(), [&](bool ok) { done += ok; });
  store->putState({"k", "b", "x@y", "2", 10}, {}, {});
  store->putState({"other", "a", "x@y", "3", 0}, {}, {});
  REQUIRE(loop.runUntil([&] { return done == 1; }));
  CHECK(store->loadStates("k", 5).size() == 2);
  CHECK(store->loadStates("k", 10).size() == 1);
  store->deleteExpiredStates(10);
  store->deleteState("k", "a", {}, {});
  CHECK(store->loadStates("k", 0).empty());
  CHECK(store->loadStates("other", 0).size() == 1);
}
