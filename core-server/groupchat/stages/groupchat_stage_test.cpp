// SPDX-License-Identifier: Apache-2.0
// The SIP-independent helpers of the group-chat stage; the stage end to end is
// covered by tests/integration/test_groupchat.py (it needs a running router).
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "core-server/groupchat/stages/channel_directory.h"
#include "core-server/groupchat/stages/groupchat_shard.h"
#include "core-server/groupchat/stages/groupchat_stage.h"

namespace core::groupchat {
namespace {

TEST_CASE("Session-Expires values") {
  CHECK(parseSessionExpires("1800") == 1800);
  CHECK(parseSessionExpires(" 90 ;refresher=uac") == 90);
  CHECK(parseSessionExpires("") == 0);
  CHECK(parseSessionExpires("abc") == 0);
  CHECK(parseSessionExpires("12x") == 0);
}

TEST_CASE("the directory names the least-loaded channel service") {
  ChannelDirectory directory({"a@example.com", "b@example.com"});
  CHECK(directory.leastLoaded() == "a@example.com");
  directory.add(0, 2);
  directory.add(1, 1);
  CHECK(directory.leastLoaded() == "b@example.com");
  directory.add(0, -2);
  CHECK(directory.leastLoaded() == "a@example.com");
  CHECK(directory.indexOf("b@example.com") == 1);
  CHECK(directory.indexOf("c@example.com") == -1);
}

TEST_CASE("YAML seeding keeps room uuids across starts and edits fields") {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("gc-seed-" + std::to_string(::getpid()) + ".db"))
          .string();
  proxy::config::GroupChatConfig gc;
  gc.categories.push_back({"Eng", "engineering"});
  proxy::config::GroupChatRoomConfig lobby;
  lobby.name = "Lobby";
  lobby.category = "Eng";
  lobby.kind = "secret";
  lobby.members = {"alice@example.com"};
  gc.rooms.push_back(lobby);
  std::string first_uuid;
  {
    GroupChatStore::Options options;
    options.path = path;
    auto store = *GroupChatStore::open(options);
    REQUIRE(seedCatalogue(*store, gc));
    auto catalogue = (*store->reader())->catalogue();
    REQUIRE(catalogue->rooms.size() == 1);
    first_uuid = catalogue->rooms[0].uuid;
    CHECK(catalogue->rooms[0].kind == RoomKind::Secret);
    CHECK(catalogue->rooms[0].category == catalogue->categories.at(0).uuid);
  }
  gc.rooms[0].kind = "open";
  GroupChatStore::Options options;
  options.path = path;
  auto store = *GroupChatStore::open(options);
  REQUIRE(seedCatalogue(*store, gc));
  auto catalogue = (*store->reader())->catalogue();
  REQUIRE(catalogue->rooms.size() == 1);
  CHECK(catalogue->rooms[0].uuid == first_uuid);
  CHECK(catalogue->rooms[0].kind == RoomKind::Open);
  CHECK(catalogue->categories.size() == 1);
  store.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(path + suffix);
  }
}

}  // namespace
}  // namespace core::groupchat
