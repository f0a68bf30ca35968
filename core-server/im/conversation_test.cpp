// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/conversation.h"

#include <doctest/doctest.h>

#include <string>

namespace core::im {
namespace {

TEST_CASE("conversation: join, fan-out to the others, leave") {
  Conversation c("im-conf-1@example.test", 500);
  CHECK(c.add("alice@example.test") == Conversation::Join::Added);
  CHECK(c.add("bob@example.test") == Conversation::Join::Added);
  CHECK(c.add("bob@example.test") == Conversation::Join::Already);
  CHECK(c.add("carol@example.test") == Conversation::Join::Added);
  CHECK(c.others("bob@example.test") ==
        std::vector<std::string>{"alice@example.test", "carol@example.test"});
  CHECK(c.version() == 3);
  CHECK(c.remove("alice@example.test"));
  CHECK_FALSE(c.remove("alice@example.test"));
  CHECK(c.others("bob@example.test") == std::vector<std::string>{"carol@example.test"});
}

TEST_CASE("conversation: 300 participants, each message to 299, and a limit") {
  Conversation c("im-conf-big@example.test", 300);
  for (int i = 0; i < 300; ++i) {
    REQUIRE(c.add("u" + std::to_string(i) + "@example.test") == Conversation::Join::Added);
  }
  CHECK(c.add("late@example.test") == Conversation::Join::Full);
  CHECK(c.others("u7@example.test").size() == 299);
}

TEST_CASE("conversation: RFC 4575 roster lists everyone, escaped") {
  Conversation c("im-conf-1@example.test", 10);
  c.add("alice@example.test");
  c.add("o'brien&co@example.test");
  std::string xml = c.conferenceInfo();
  CHECK(xml.find("entity=\"sip:im-conf-1@example.test\" state=\"full\" version=\"2\"") !=
        std::string::npos);
  CHECK(xml.find("<user entity=\"sip:alice@example.test\"") != std::string::npos);
  CHECK(xml.find("o&apos;brien&amp;co@example.test") != std::string::npos);
  CHECK(Conversation::notice("carol@example.test", true) ==
        "carol@example.test joined the conversation");
}

}  // namespace
}  // namespace core::im
