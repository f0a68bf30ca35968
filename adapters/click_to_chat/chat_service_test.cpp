// SPDX-License-Identifier: Apache-2.0
#include "adapters/click_to_chat/chat_service.h"

#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>

namespace adapters::click_to_chat {
namespace {

constexpr uint32_t kOnline = 3500;
constexpr uint32_t kOffline = 18500;
const std::string kA = "a@example.test", kB = "b@example.test";

struct Sent {
  uint64_t id;
  std::string to, text;
  bool stored;
};

// Records what the service does; sends stay pending until the test answers them.
class FakePort : public ChatPort {
 public:
  bool sendMessage(uint64_t id, const std::string& to, const std::string& text,
                   bool stored) override {
    sent.push_back({id, to, text, stored});
    return accept;
  }
  void sendToVisitor(uint64_t visitor, const std::string& frame) override {
    frames[visitor].push_back(nlohmann::json::parse(frame));
  }
  void closeVisitor(uint64_t visitor) override { closed.push_back(visitor); }
  void publishAvailable(bool available) override { published.push_back(available); }
  void count(const char* name, uint64_t delta) override { counters[name] += delta; }

  // The last frame of `type` sent to the visitor ("" when none).
  std::string last(uint64_t visitor, const std::string& type) {
    for (auto it = frames[visitor].rbegin(); it != frames[visitor].rend(); ++it) {
      if ((*it)["type"] == type) {
        return (*it)["text"];
      }
    }
    return {};
  }

  bool accept = true;
  std::vector<Sent> sent;
  std::map<uint64_t, std::vector<nlohmann::json>> frames;
  std::vector<uint64_t> closed;
  std::vector<bool> published;
  std::map<std::string, uint64_t> counters;
};

ChatConfig config(uint32_t max_chats = 3) {
  ChatConfig c;
  c.identity = "support@example.test";
  c.agents = {kA, kB};
  c.max_chats_per_agent = max_chats;
  c.messages_per_10s = 3;
  c.max_visitors = 3;
  c.agent_answer_timeout_s = 60;
  return c;
}

std::string msg(const std::string& text) {
  return nlohmann::json{{"type", "message"}, {"text", text}}.dump();
}

TEST_CASE("a chat both ways, with the greeting first") {
  FakePort port;
  ChatService chat(config(), port);
  chat.presence(kA, kOnline, true, 0);
  CHECK(port.published == std::vector<bool>{true});
  REQUIRE(chat.visitorConnected(1, 0));
  const std::string tag = chat.visitorTag(1);
  CHECK(tag.size() == 4);
  chat.visitorFrame(1, R"({"type":"hello"})", 0);
  REQUIRE(port.frames[1].size() == 1);
  CHECK(port.frames[1][0]["type"] == "bot");
  CHECK(port.frames[1][0]["visitor"] == tag);
  CHECK(port.frames[1][0]["available"] == true);

  chat.visitorFrame(1, msg("Where is my order?"), 10);
  REQUIRE(port.sent.size() == 1);
  CHECK(port.sent[0].to == kA);
  CHECK(port.sent[0].text == "[visitor " + tag + "] Where is my order?");
  CHECK_FALSE(port.sent[0].stored);
  chat.visitorFrame(1, msg("It is late."), 20);  // while the agent is being reached
  CHECK(port.sent.size() == 1);
  chat.sendResult(port.sent[0].id, 200, 30);
  CHECK(port.counters["chats_started"] == 1);
  CHECK(port.last(1, "system") == "An agent has joined the chat.");
  REQUIRE(port.sent.size() == 2);
  CHECK(port.sent[1].text == "[visitor " + tag + "] It is late.");

  CHECK(chat.agentMessage("sip:" + kA, "text/plain", "Let me check.", 40) == 200);
  CHECK(port.last(1, "agent") == "Let me check.");
  CHECK(chat.agentMessage(kA, "text/html", "<b>Found</b> <script>x</script>it", 41) == 200);
  CHECK(port.last(1, "agent") == "Found xit");
  CHECK(chat.agentMessage(kA, "application/im-iscomposing+xml",
                          "<isComposing><state>active</state></isComposing>", 42) == 200);
  CHECK(port.frames[1].back()["type"] == "typing");

  chat.visitorGone(1, 50);
  CHECK(port.sent.back().text == "[visitor " + tag + " left the chat]");
  CHECK(chat.router().chats(kA) == 0);
  CHECK(chat.agentMessage(kA, "text/plain", "hello?", 60) == 480);  // no chat any more
}

TEST_CASE("strangers cannot talk to visitors; visitors cannot address anyone") {
  FakePort port;
  ChatService chat(config(), port);
  chat.presence(kA, kOnline, true, 0);
  chat.visitorConnected(1, 0);
  chat.visitorFrame(1, R"({"type":"message","text":"hi","to":"ceo@example.test"})", 0);
  REQUIRE(port.sent.size() == 1);
  CHECK(port.sent[0].to == kA);  // the queue, whatever the frame says
  chat.sendResult(port.sent[0].id, 200, 1);
  CHECK(chat.agentMessage("mallory@example.test", "text/plain", "give me your card", 2) == 403);
  CHECK(port.last(1, "agent").empty());
  CHECK(chat.agentMessage(kA, "application/octet-stream", "x", 3) == 415);
}

TEST_CASE("a failed send goes to the next agent") {
  FakePort port;
  ChatService chat(config(), port);
  chat.presence(kA, kOnline, true, 0);
  chat.presence(kB, kOnline, true, 0);
  chat.visitorConnected(1, 0);
  chat.visitorFrame(1, msg("help"), 0);
  REQUIRE(port.sent.size() == 1);
  CHECK(port.sent[0].to == kA);
  chat.sendResult(port.sent[0].id, 480, 1);
  REQUIRE(port.sent.size() == 2);
  CHECK(port.sent[1].to == kB);
  CHECK(port.sent[1].text.find("help") != std::string::npos);
  CHECK(chat.router().chats(kA) == 0);
  chat.sendResult(port.sent[1].id, 408, 2);
  // Both failed: the message is left in every agent's offline store.
  REQUIRE(port.sent.size() == 4);
  CHECK(port.sent[2].stored);
  CHECK(port.sent[3].stored);
  CHECK(port.counters["offline_messages"] == 1);
  CHECK_FALSE(port.last(1, "offline").empty());
}

TEST_CASE("no agent online: told at once, and the message reaches the offline store") {
  FakePort port;
  ChatService chat(config(), port);
  chat.presence(kA, kOffline, false, 0);
  CHECK(port.published == std::vector<bool>{false});
  chat.visitorConnected(1, 0);
  chat.visitorFrame(1, R"({"type":"hello"})", 0);
  CHECK(port.last(1, "offline") == config().offline_text);
  chat.visitorFrame(1, msg("Please call me back"), 1);
  REQUIRE(port.sent.size() == 2);
  for (const Sent& s : port.sent) {
    CHECK(s.stored);
    CHECK(s.text.find("Please call me back") != std::string::npos);
  }
  CHECK(port.counters["offline_messages"] == 1);
  CHECK(port.last(1, "system") == "Your message was left for our team.");
  // An agent comes online: the next question is routed live.
  chat.presence(kB, kOnline, true, 5);
  CHECK(port.published.back());
  chat.visitorFrame(1, msg("anyone?"), 6);
  CHECK(port.sent.back().to == kB);
  CHECK_FALSE(port.sent.back().stored);
}

TEST_CASE("agents at the cap: the visitor queues, then gets the freed seat") {
  FakePort port;
  ChatService chat(config(1), port);
  chat.presence(kA, kOnline, true, 0);
  chat.visitorConnected(1, 0);
  chat.visitorConnected(2, 0);
  chat.visitorFrame(1, msg("first"), 0);
  chat.sendResult(port.sent.back().id, 200, 1);
  CHECK(port.published.back() == false);  // the only agent is full
  chat.visitorFrame(2, msg("second"), 2);
  CHECK(port.sent.size() == 1);
  CHECK_FALSE(port.last(2, "queued").empty());
  CHECK(chat.agentMessage(kA, "text/plain", "/end", 3) == 200);
  CHECK(port.last(1, "system") == "The agent ended the chat.");
  // The seat went to the queued visitor, with what they wrote.
  CHECK(port.sent.back().to == kA);
  CHECK(port.sent.back().text.find("second") != std::string::npos);
}

TEST_CASE("several chats: the agent picks the visitor with #id") {
  FakePort port;
  ChatService chat(config(), port);
  chat.presence(kA, kOnline, true, 0);
  for (uint64_t v : {1, 2}) {
    chat.visitorConnected(v, 0);
    chat.visitorFrame(v, msg("q"), 0);
    chat.sendResult(port.sent.back().id, 200, 0);
  }
  const std::string t2 = chat.visitorTag(2);
  const size_t before = port.sent.size();
  CHECK(chat.agentMessage(kA, "text/plain", "which one?", 1) == 200);
  REQUIRE(port.sent.size() == before + 1);  // a notice listing the chats
  CHECK(port.sent.back().text.find("#" + t2) != std::string::npos);
  CHECK(port.last(1, "agent").empty());
  CHECK(port.last(2, "agent").empty());
  CHECK(chat.agentMessage(kA, "text/plain", "#" + t2 + " for you", 2) == 200);
  CHECK(port.last(2, "agent") == "for you");
  CHECK(port.last(1, "agent").empty());
  CHECK(chat.agentMessage(kA, "text/plain", "#zzzz hi", 3) == 404);
}

TEST_CASE("a single chat takes a reply that merely starts with #") {
  FakePort port;
  ChatService chat(config(), port);
  chat.presence(kA, kOnline, true, 0);
  chat.visitorConnected(1, 0);
  chat.visitorFrame(1, msg("q"), 0);
  chat.sendResult(port.sent.back().id, 200, 0);
  CHECK(chat.agentMessage(kA, "text/plain", "#1 priority for us", 1) == 200);
  CHECK(port.last(1, "agent") == "#1 priority for us");
  CHECK(chat.agentMessage(kA, "text/plain", "#" + chat.visitorTag(1) + " tagged", 2) == 200);
  CHECK(port.last(1, "agent") == "tagged");
}

TEST_CASE("an agent who signs out hands unanswered visitors on") {
  FakePort port;
  ChatService chat(config(), port);
  chat.presence(kA, kOnline, true, 0);
  chat.presence(kB, kOnline, true, 0);
  chat.visitorConnected(1, 0);
  chat.visitorFrame(1, msg("anyone?"), 0);
  REQUIRE(port.sent.back().to == kA);
  chat.sendResult(port.sent.back().id, 200, 0);
  chat.presence(kA, kOffline, false, 5);
  CHECK(port.last(1, "system") == "The agent has left the chat.");
  CHECK(chat.router().chats(kA) == 0);
  CHECK(port.sent.back().to == kB);
  CHECK(port.sent.back().text.find("anyone?") != std::string::npos);
}

TEST_CASE("an agent who does not answer in time loses the chat to another") {
  FakePort port;
  ChatService chat(config(), port);
  chat.presence(kA, kOnline, true, 0);
  chat.presence(kB, kOnline, true, 0);
  chat.visitorConnected(1, 0);
  chat.visitorFrame(1, msg("hello?"), 0);
  chat.sendResult(port.sent.back().id, 200, 0);
  chat.tick(59000);
  CHECK(port.sent.size() == 1);
  chat.tick(60000);
  CHECK(port.counters["agent_timeouts"] == 1);
  CHECK(port.sent.back().to == kB);
  CHECK(port.sent.back().text.find("hello?") != std::string::npos);
  CHECK(chat.router().chats(kA) == 0);
  CHECK(chat.router().chats(kB) == 1);
}

TEST_CASE("limits: rate, size, visitors, bad frames") {
  FakePort port;
  ChatService chat(config(), port);
  chat.presence(kA, kOnline, true, 0);
  CHECK(chat.visitorConnected(1, 0));
  CHECK(chat.visitorConnected(2, 0));
  CHECK(chat.visitorConnected(3, 0));
  CHECK_FALSE(chat.visitorConnected(4, 0));
  CHECK(port.counters["visitors_refused"] == 1);
  CHECK(port.counters["visitors"] == 3);
  for (int i = 0; i < 5; ++i) {
    chat.visitorFrame(1, msg("spam"), 100 + i);
  }
  CHECK(port.counters["rate_limited"] == 2);
  CHECK(port.last(1, "system").find("too fast") != std::string::npos);
  chat.visitorFrame(2, msg(std::string(3000, 'x')), 0);
  chat.visitorFrame(2, "", 0);  // oversized at the socket
  chat.visitorFrame(2, "not json", 0);
  CHECK(port.counters["bad_frames"] == 3);
  CHECK(port.last(2, "system").find("could not be read") != std::string::npos);
  const size_t answers = port.frames[2].size();
  chat.visitorFrame(2, "junk over the limit", 1);  // counted, but no answer to a flood
  CHECK(port.counters["bad_frames"] == 4);
  CHECK(port.counters["rate_limited"] == 3);
  CHECK(port.frames[2].size() == answers);
  chat.visitorFrame(3, R"({"type":"leave"})", 0);
  CHECK(port.closed == std::vector<uint64_t>{3});
  CHECK(chat.visitorCount() == 2);
  chat.visitorFrame(99, msg("unknown connection"), 0);  // ignored
}

TEST_CASE("a visitor who leaves while the agent is reached frees the seat") {
  FakePort port;
  ChatService chat(config(), port);
  chat.presence(kA, kOnline, true, 0);
  chat.visitorConnected(1, 0);
  const std::string tag = chat.visitorTag(1);
  chat.visitorFrame(1, msg("q"), 0);
  chat.visitorGone(1, 1);
  chat.sendResult(port.sent.back().id, 200, 2);
  CHECK(chat.router().chats(kA) == 0);
  CHECK(port.sent.back().text == "[visitor " + tag + " left the chat]");
  // A host that refuses sends at once: treated as failures, never a loop.
  port.accept = false;
  chat.visitorConnected(2, 3);
  chat.visitorFrame(2, msg("q"), 3);
  CHECK(chat.router().chats(kA) == 0);
  CHECK(port.counters["offline_failed"] == 2);
}

}  // namespace
}  // namespace adapters::click_to_chat
