// SPDX-License-Identifier: Apache-2.0
// The built plugin (libconfab_click_to_chat.so) under the fake host: it loads, watches the
// agents, publishes its identity's presence, serves the page, and a visitor on a real
// WebSocket chats with an agent whose IMs the fake host carries. Then it stops cleanly.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "adapters/testing/fake_host.h"
#include "adapters/testing/http_test_client.h"

namespace adapters::click_to_chat {
namespace {

using adapters::testing::FakeHost;
using adapters::testing::WsClient;
using namespace std::chrono_literals;

const std::string kAgent = "alice@example.test";
const std::string kIdentity = "support@example.test";

std::string portFile() {
  return (std::filesystem::temp_directory_path() /
          ("click_to_chat_test_" + std::to_string(::getpid()) + ".port"))
      .string();
}

uint16_t readPort(const std::string& path) {
  std::ifstream in(path);
  unsigned port = 0;
  in >> port;
  return static_cast<uint16_t>(port);
}

// The next frame of `type` (skipping others), or nothing within the timeout.
std::optional<nlohmann::json> expect(WsClient& ws, const std::string& type) {
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto text = ws.receive(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
    if (!text) {
      return std::nullopt;
    }
    auto frame = nlohmann::json::parse(*text, nullptr, false);
    if (!frame.is_discarded() && frame.value("type", "") == type) {
      return frame;
    }
  }
  return std::nullopt;
}

TEST_CASE("the plugin under the fake host: page, presence, a chat both ways") {
  const std::string port_file = portFile();
  std::remove(port_file.c_str());
  FakeHost host("address: 127.0.0.1\nport: 0\nport_file: " + port_file +
                "\nidentity: " + kIdentity + "\nagents: [" + kAgent + "]\n");
  host.addUser(kAgent);
  host.addIdentity(kIdentity);
  REQUIRE(host.startLibrary(CONFAB_CLICK_TO_CHAT_PLUGIN) == CONFAB_OK);
  CHECK(host.subscriptions().count(kAgent) == 1);
  const uint16_t port = readPort(port_file);
  REQUIRE(port != 0);

  // Nobody online: the identity shows away.
  REQUIRE(FakeHost::waitFor([&] { return !host.published().empty(); }));
  CHECK(host.published().back().identity == kIdentity);
  CHECK(host.published().back().presence.availability == CONFAB_AVAIL_AWAY);
  host.setPresence(kAgent, CONFAB_AVAIL_ONLINE);
  CHECK(FakeHost::waitFor(
      [&] { return host.published().back().presence.availability == CONFAB_AVAIL_ONLINE; }));

  auto page = adapters::testing::httpRequest(port, "GET", "/");
  CHECK(page.status == 200);
  CHECK(page.body.find("widget.js") != std::string::npos);
  CHECK(adapters::testing::httpRequest(port, "GET", "/nope").status == 404);
  CHECK(adapters::testing::httpRequest(port, "POST", "/", {}, "x").status != 200);

  WsClient ws(port, "/chat");
  REQUIRE(ws.open());
  REQUIRE(ws.send(R"({"type":"hello"})"));
  auto greeting = expect(ws, "bot");
  REQUIRE(greeting);
  CHECK((*greeting)["available"] == true);
  const std::string tag = (*greeting)["visitor"];
  REQUIRE(ws.send(R"({"type":"message","text":"Is it in stock?"})"));
  REQUIRE(expect(ws, "system"));  // the agent has joined (the fake host answers 200)
  auto sent = host.sentMessages();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].from == kIdentity);
  CHECK(sent[0].to == kAgent);
  CHECK(sent[0].body == "[visitor " + tag + "] Is it in stock?");
  CHECK_FALSE(sent[0].store_if_offline);

  const uint64_t id = host.injectMessage(kAgent, kIdentity, "text/plain", "Yes, 3 left.");
  auto reply = expect(ws, "agent");
  REQUIRE(reply);
  CHECK((*reply)["text"] == "Yes, 3 left.");
  CHECK(FakeHost::waitFor([&] { return host.answers().count(id) == 1; }));
  CHECK(host.answers()[id] == 200);
  CHECK(host.counter("visitors") == 1);
  CHECK(host.counter("chats_started") == 1);

  // A stranger is refused; the visitor leaves and the agent is told.
  const uint64_t stranger = host.injectMessage("eve@example.test", kIdentity, "text/plain", "hi");
  CHECK(FakeHost::waitFor([&] { return host.answers().count(stranger) == 1; }));
  CHECK(host.answers()[stranger] == 403);
  REQUIRE(ws.send(R"({"type":"leave"})"));
  CHECK(FakeHost::waitFor([&] { return host.sentMessages().size() == 2; }));
  CHECK(host.sentMessages().back().body.find("left the chat") != std::string::npos);

  host.stop();
  std::remove(port_file.c_str());
}

TEST_CASE("a bad config fails the start with a reason") {
  FakeHost host("identity: nobody\nagents: []\n");
  CHECK(host.startLibrary(CONFAB_CLICK_TO_CHAT_PLUGIN) != CONFAB_OK);
  bool logged = false;
  for (const std::string& line : host.logs()) {
    logged = logged || line.find("identity") != std::string::npos;
  }
  CHECK(logged);
}

}  // namespace
}  // namespace adapters::click_to_chat
