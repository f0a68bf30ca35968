// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/offline_store.h"

#include <doctest/doctest.h>

#include "core-server/storage/storage_testing.h"

namespace core::im {
namespace {

using storage::testing::TempDir;
using storage::testing::TestLoop;

StoredMessage message(std::string to, std::string text, int64_t at = 1000) {
  StoredMessage m;
  m.recipient = std::move(to);
  m.from = "<sip:alice@example.test>;tag=a1";
  m.to = "<sip:" + m.recipient + ">";
  m.content_type = "text/plain";
  m.body = std::move(text);
  m.received_at = at;
  return m;
}

TEST_CASE("offline store: insert reports after commit, survives a reopen, remove deletes") {
  TempDir dir;
  TestLoop loop;
  const std::string path = dir.file("im.db");
  std::vector<int64_t> ids;
  {
    auto store = OfflineStore::open({.path = path});
    REQUIRE(store);
    for (const char* text : {"one", "two", "three"}) {
      (*store)->insert(message("dave@example.test", text), loop.poster(), [&](bool ok, int64_t id) {
        CHECK(ok);
        ids.push_back(id);
      });
    }
    REQUIRE(loop.runUntil([&] { return ids.size() == 3; }));
    CHECK(ids[0] < ids[1]);
    CHECK(ids[1] < ids[2]);
    bool removed = false;
    (*store)->remove(ids[1], loop.poster(), [&](bool ok) { removed = ok; });
    REQUIRE(loop.runUntil([&] { return removed; }));
  }
  auto reopened = OfflineStore::open({.path = path});
  REQUIRE(reopened);
  auto others =
      (*reopened)->takeLoaded([](std::string_view aor) { return aor != "dave@example.test"; });
  CHECK(others.empty());
  auto mine = (*reopened)->takeLoaded([](std::string_view) { return true; });
  REQUIRE(mine.size() == 2);
  CHECK(mine[0].body == "one");
  CHECK(mine[1].body == "three");
  CHECK(mine[0].from == "<sip:alice@example.test>;tag=a1");
  CHECK(mine[0].received_at == 1000);
  CHECK((*reopened)->takeLoaded([](std::string_view) { return true; }).empty());
}

TEST_CASE("offline store: bodies keep every byte") {
  TempDir dir;
  TestLoop loop;
  std::string body("a\0b\xff\xfe<html>", 11);
  {
    auto store = OfflineStore::open({.path = dir.file("im.db")});
    REQUIRE(store);
    bool done = false;
    (*store)->insert(message("x@example.test", body), loop.poster(),
                     [&](bool ok, int64_t) { done = ok; });
    REQUIRE(loop.runUntil([&] { return done; }));
  }
  auto store = OfflineStore::open({.path = dir.file("im.db")});
  REQUIRE(store);
  auto all = (*store)->takeLoaded([](std::string_view) { return true; });
  REQUIRE(all.size() == 1);
  CHECK(all[0].body == body);
}

TEST_CASE("offline store: an unopenable path is an error, not a crash") {
  auto store = OfflineStore::open({.path = "/proc/no/such/dir/im.db"});
  CHECK_FALSE(store);
}

}  // namespace
}  // namespace core::im
