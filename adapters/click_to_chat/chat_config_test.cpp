// SPDX-License-Identifier: Apache-2.0
#include "adapters/click_to_chat/chat_config.h"

#include <doctest/doctest.h>

namespace adapters::click_to_chat {
namespace {

TEST_CASE("a full config") {
  auto c = parseChatConfig(R"(
address: 127.0.0.1
port: 0
port_file: /tmp/x.port
identity: sip:support@Example.test
agents: [alice@example.test, "sip:bob@example.test", alice@example.test]
max_chats_per_agent: 2
greeting: Hello
offline_text: Later
agent_answer_timeout_s: 30
visitor_rate_limit: {messages_per_10s: 5}
max_visitors: 10
allowed_origins: ["https://shop.example"]
)");
  REQUIRE(c);
  CHECK(c->identity == "support@example.test");
  CHECK(c->agents == std::vector<std::string>{"alice@example.test", "bob@example.test"});
  CHECK(c->max_chats_per_agent == 2);
  CHECK(c->messages_per_10s == 5);
  CHECK(c->agent_answer_timeout_s == 30);
  CHECK(c->port_file == "/tmp/x.port");
  CHECK(c->allowed_origins.size() == 1);
}

TEST_CASE("config errors say what is wrong") {
  CHECK(parseChatConfig("agents: [a@b]").error().detail.find("identity") != std::string::npos);
  CHECK(parseChatConfig("identity: s@b").error().detail.find("agents") != std::string::npos);
  CHECK(parseChatConfig("identity: s@b\nagents: [nobody]").error().detail.find("nobody") !=
        std::string::npos);
  CHECK(parseChatConfig("identity: s@b\nagents: [a@b]\nport: 70000").error().detail.find("port") !=
        std::string::npos);
  CHECK_FALSE(parseChatConfig("identity: s@b\nagents: [a@b]\nmax_chats_per_agent: 0"));
  CHECK_FALSE(parseChatConfig("[unbalanced"));
  CHECK_FALSE(parseChatConfig("- a list"));
}

TEST_CASE("AORs") {
  CHECK(normalizeAor("sip:Al@Example.TEST") == "Al@example.test");
  CHECK(normalizeAor("a@b") == "a@b");
  CHECK(normalizeAor("@b").empty());
  CHECK(normalizeAor("a@").empty());
  CHECK(normalizeAor("a b@c").empty());
  CHECK(normalizeAor("a@b@c").empty());
  CHECK(normalizeAor("<a@b>").empty());
}

}  // namespace
}  // namespace adapters::click_to_chat
