// SPDX-License-Identifier: Apache-2.0
#include "adapters/click_to_chat/agent_router.h"

#include <doctest/doctest.h>

namespace adapters::click_to_chat {
namespace {

constexpr uint32_t kOnline = 3500;
const std::string kA = "a@example.test", kB = "b@example.test", kC = "c@example.test";

TEST_CASE("only online, IM-capable agents are picked") {
  AgentRouter r({kA, kB, kC}, 3);
  CHECK_FALSE(r.pick().has_value());
  CHECK_FALSE(r.anyAvailable());
  r.updatePresence(kA, 6500, true);      // busy
  r.updatePresence(kB, 15500, true);     // away
  r.updatePresence(kC, kOnline, false);  // online but cannot take an IM
  CHECK_FALSE(r.pick().has_value());
  r.updatePresence(kC, 4999, true);
  CHECK(r.pick() == kC);
  r.updatePresence(kC, 5000, true);
  CHECK_FALSE(r.pick().has_value());
  CHECK_FALSE(r.updatePresence("stranger@example.test", kOnline, true));
  CHECK_FALSE(r.isAgent("stranger@example.test"));
}

TEST_CASE("fewest chats first, then the longest idle, then config order") {
  AgentRouter r({kA, kB, kC}, 3);
  for (const auto& a : {kA, kB, kC}) {
    r.updatePresence(a, kOnline, true);
  }
  CHECK(r.pick() == kA);  // nobody had a chat yet: config order
  r.chatStarted(kA);
  CHECK(r.pick() == kB);
  r.chatStarted(kB);
  r.chatStarted(kC);
  r.chatEnded(kB, 2000);  // B idle since 2000
  r.chatEnded(kA, 1000);  // A idle since 1000: idle longer
  CHECK(r.chats(kA) == 0);
  CHECK(r.pick() == kA);
  r.chatEnded(kC, 500);  // C now idle longest of all
  CHECK(r.pick() == kC);
  CHECK(r.pick({kC}) == kA);
}

TEST_CASE("the cap of concurrent chats") {
  AgentRouter r({kA, kB}, 2);
  r.updatePresence(kA, kOnline, true);
  r.chatStarted(kA);
  r.chatStarted(kA);
  CHECK(r.chats(kA) == 2);
  CHECK_FALSE(r.pick().has_value());
  r.updatePresence(kB, kOnline, true);
  CHECK(r.pick() == kB);
  r.releaseSeat(kA);  // a failed attempt: a seat back, no idle time change
  CHECK(r.chats(kA) == 1);
  CHECK(r.pick({kB}) == kA);
  r.chatEnded(kA, 10);
  r.chatEnded(kA, 10);
  r.chatEnded(kA, 10);  // more ends than starts stay at zero
  CHECK(r.chats(kA) == 0);
}

}  // namespace
}  // namespace adapters::click_to_chat
