// SPDX-License-Identifier: Apache-2.0
#include "core-server/groupchat/service/groupchat_store.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

namespace core::groupchat {
namespace {

struct TempDb {
  std::string path;
  TempDb() {
    path = (std::filesystem::temp_directory_path() /
            ("gc-store-" + std::to_string(::getpid()) + "-" + newUuid() + ".db"))
               .string();
  }
  ~TempDb() {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(path + suffix);
    }
  }
};

std::shared_ptr<GroupChatStore> openStore(const std::string& path) {
  GroupChatStore::Options options;
  options.path = path;
  auto store = GroupChatStore::open(options);
  REQUIRE(store);
  return *store;
}

void inline_poster(std::function<void()> task) { task(); }

Room makeRoom(std::string name, RoomKind kind = RoomKind::Open) {
  Room room;
  room.uuid = newUuid();
  room.name = std::move(name);
  room.kind = kind;
  return room;
}

TEST_CASE("rooms, roles and the catalogue version round-trip") {
  TempDb db;
  auto store = openStore(db.path);
  auto reader = store->reader();
  REQUIRE(reader);
  const int64_t v0 = (*reader)->catalogueVersion();
  Room room = makeRoom("Lobby", RoomKind::Closed);
  room.description = "where everyone meets";
  room.members = {"alice@example.test"};
  room.managers = {"bob@example.test"};
  room.auditorium = true;
  room.retention_days = 7;
  REQUIRE(store->upsertRoom(room));
  CHECK((*reader)->catalogueVersion() > v0);
  auto catalogue = (*reader)->catalogue();
  REQUIRE(catalogue);
  REQUIRE(catalogue->rooms.size() == 1);
  const Room& got = catalogue->rooms[0];
  CHECK(got.uuid == room.uuid);
  CHECK(got.kind == RoomKind::Closed);
  CHECK(got.auditorium);
  CHECK(got.retention_days == 7);
  CHECK(got.members == room.members);
  CHECK(got.managers == room.managers);
  REQUIRE(store->deleteRoom(room.uuid));
  CHECK((*reader)->catalogue()->rooms.empty());
}

TEST_CASE("search matches name, description and keywords as word prefixes") {
  TempDb db;
  auto store = openStore(db.path);
  Room a = makeRoom("Kernel hackers");
  a.keywords = "linux scheduler";
  Room b = makeRoom("Cooking");
  b.description = "recipes and kernels of corn";
  REQUIRE(store->upsertRoom(a));
  REQUIRE(store->upsertRoom(b));
  auto reader = *store->reader();
  CHECK(reader->search("kern", 10)->size() == 2);
  CHECK(*reader->search("sched", 10) == std::vector<std::string>{a.uuid});
  CHECK(*reader->search("recipes", 10) == std::vector<std::string>{b.uuid});
  CHECK(reader->search("", 10)->size() == 2);
  CHECK(reader->search("\"*)(NEAR", 10));  // hostile criteria are words, not FTS syntax
  CHECK(reader->search("zzz", 10)->empty());
  CHECK(searchQuery("a \"b\" c*") == "\"a\"* \"b\"* \"c\"*");
}

TEST_CASE("a post is reported done only after it is committed, and survives reopening") {
  TempDb db;
  std::string room = newUuid();
  {
    auto store = openStore(db.path);
    std::atomic<int> done{0};
    for (int i = 0; i < 50; ++i) {
      store->appendPost({0, room, "alice@example.test", 1000 + i, "post " + std::to_string(i)},
                        inline_poster, [&](bool ok, int64_t id) {
                          CHECK(ok);
                          CHECK(id > 0);
                          // Committed: a fresh connection sees it.
                          done.fetch_add(1);
                        });
    }
    store->flush();
    CHECK(done.load() == 50);
    auto reader = *store->reader();
    CHECK(*reader->postCount(room) == 50);
  }
  auto store = openStore(db.path);
  auto reader = *store->reader();
  auto last = reader->history(room, 10);
  REQUIRE(last);
  REQUIRE(last->size() == 10);
  CHECK(last->front().text == "post 40");
  CHECK(last->back().text == "post 49");
}

TEST_CASE("preference writes are versioned: a stale seqid collides") {
  TempDb db;
  auto store = openStore(db.path);
  std::vector<PrefWriteOutcome> outcomes;
  auto record = [&](PrefWriteOutcome o) { outcomes.push_back(o); };
  store->writePrefs("alice@example.test", {{"kedzie.GroupChannels", 0, "YQ=="}}, inline_poster,
                    record);
  store->writePrefs("alice@example.test", {{"kedzie.GroupChannels", 0, "Yg=="}}, inline_poster,
                    record);
  store->writePrefs("alice@example.test", {{"kedzie.GroupChannels", 1, "Yw=="}}, inline_poster,
                    record);
  store->flush();
  REQUIRE(outcomes.size() == 3);
  CHECK(outcomes[0] == PrefWriteOutcome::Written);
  CHECK(outcomes[1] == PrefWriteOutcome::Collision);
  CHECK(outcomes[2] == PrefWriteOutcome::Written);
  auto prefs = (*store->reader())->prefs("alice@example.test");
  REQUIRE(prefs);
  REQUIRE(prefs->size() == 1);
  CHECK((*prefs)[0].seqid == 2);
  CHECK((*prefs)[0].content == "Yw==");
}

TEST_CASE("file tokens are single use, bound to a direction, and expire") {
  TempDb db;
  auto store = openStore(db.path);
  bool ok = false;
  store->issueFileToken({"t1", "alice@example.test", "room", true, "a.txt", 1000, 5000},
                        inline_poster, [&](bool done) { ok = done; });
  store->issueFileToken({"t2", "alice@example.test", "room", true, "b.txt", 1000, 5000},
                        inline_poster, {});
  store->flush();
  CHECK(ok);
  CHECK_FALSE(store->consumeFileToken("t1", /*upload=*/false, 2000));  // wrong direction
  auto token = store->consumeFileToken("t1", true, 2000);
  REQUIRE(token);
  CHECK(token->user == "alice@example.test");
  CHECK(token->file_name == "a.txt");
  CHECK(store->consumeFileToken("t1", true, 2000).error().status == 403);  // used
  CHECK_FALSE(store->consumeFileToken("t2", true, 6000));                  // expired
}

}  // namespace
}  // namespace core::groupchat
