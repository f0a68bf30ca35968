// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "proxy/config/config.h"

namespace proxy::config {
namespace {

constexpr std::string_view kBase =
    "domains: [example.com]\n"
    "listeners: [{transport: udp, address: 127.0.0.1, port: 5060}]\n";

Result<Config> parse(std::string_view extra) {
  return parseConfig(std::string(kBase) + std::string(extra), "test.yaml");
}

TEST_CASE("groupchat defaults name ocschat@ and one channel service in the first domain") {
  auto config = parse("");
  REQUIRE(config);
  CHECK(config->groupchat.enabled);
  CHECK(config->groupchat.lookup_uri == "ocschat@example.com");
  CHECK(config->groupchat.channel_uris == std::vector<std::string>{"ocschat-channel@example.com"});
}

TEST_CASE("groupchat rooms and categories are read and checked") {
  auto config = parse(
      "groupchat:\n"
      "  lookup_uri: sip:Chat@example.com\n"
      "  channel_uris: [chan-a@example.com, chan-b@example.com]\n"
      "  categories: [{name: Eng, description: engineering}]\n"
      "  rooms:\n"
      "    - {name: Lobby, category: Eng, kind: closed, members: [alice@example.com],\n"
      "       auditorium: true, retention_days: 30}\n");
  REQUIRE(config);
  const GroupChatConfig& gc = config->groupchat;
  CHECK(gc.lookup_uri == "chat@example.com");
  CHECK(gc.channel_uris.size() == 2);
  REQUIRE(gc.rooms.size() == 1);
  CHECK(gc.rooms[0].kind == "closed");
  CHECK(gc.rooms[0].auditorium);
  CHECK(gc.rooms[0].retention_days == 30);
  CHECK(gc.rooms[0].members == std::vector<std::string>{"alice@example.com"});

  CHECK_FALSE(parse("groupchat: {lookup_uri: chat@elsewhere.org}\n"));
  CHECK_FALSE(parse("groupchat: {rooms: [{name: A, kind: hidden}]}\n"));
  CHECK_FALSE(parse("groupchat: {rooms: [{name: A, category: Nope}]}\n"));
  CHECK_FALSE(parse("groupchat: {rooms: [{name: A}, {name: A}]}\n"));
  CHECK_FALSE(parse("groupchat: {channel_uris: [a@example.com, a@example.com]}\n"));
  CHECK_FALSE(parse("groupchat: {session_expires: 10}\n"));
  CHECK_FALSE(parse("groupchat: {bogus: 1}\n"));
  CHECK_FALSE(parse("groupchat: {file_port: 70000}\n"));
  auto files = parse("groupchat: {file_address: 127.0.0.1, file_port: 8080, max_file_size: 99}\n");
  REQUIRE(files);
  CHECK(files->groupchat.file_address == "127.0.0.1");
  CHECK(files->groupchat.file_port == 8080);
  CHECK(files->groupchat.max_file_size == 99);
}

TEST_CASE("groupchat file_tls takes its own PEM pair or the TLS listener's") {
  CHECK_FALSE(parse("groupchat: {file_tls: true}\n"));  // no tls listener to borrow from
  CHECK_FALSE(parse("groupchat: {file_tls: true, file_certificate: c.pem}\n"));
  CHECK_FALSE(parse("groupchat: {file_certificate: c.pem, file_private_key: k.pem}\n"));
  auto own =
      parse("groupchat: {file_tls: true, file_certificate: c.pem, file_private_key: k.pem}\n");
  REQUIRE(own);
  CHECK(own->groupchat.file_tls);
  CHECK(own->groupchat.file_certificate == "c.pem");
  CHECK(own->groupchat.file_private_key == "k.pem");
  auto borrowed = parseConfig(
      "domains: [example.com]\n"
      "listeners: [{transport: udp, address: 127.0.0.1, port: 5060},\n"
      "  {transport: tls, address: 127.0.0.1, port: 5061, certificate: s.pem, private_key: "
      "s.key}]\n"
      "groupchat: {file_tls: true}\n",
      "test.yaml");
  REQUIRE(borrowed);
  CHECK(borrowed->groupchat.file_certificate == "s.pem");
  CHECK(borrowed->groupchat.file_private_key == "s.key");
}

}  // namespace
}  // namespace proxy::config
