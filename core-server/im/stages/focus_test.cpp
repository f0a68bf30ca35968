// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/stages/focus.h"

#include <doctest/doctest.h>

#include <vector>

namespace core::im {
namespace {

struct Sent {
  PageMessage m;
  bool store;
};

struct Fixture {
  std::vector<Sent> sent;
  Focus focus{[this](PageMessage m, bool store, StatusCallback) {
                sent.push_back({std::move(m), store});
              },
              [](std::string_view aor) { return aor != "nobody@example.test"; }, 250};

  std::vector<std::string> textTo(std::string_view type) const {
    std::vector<std::string> out;
    for (const Sent& s : sent) {
      if (s.m.content_type == type) {
        out.push_back(s.m.to_aor);
      }
    }
    return out;
  }
};

const std::string kConf = "im-conf-1@example.test";

TEST_CASE("focus: any participant invites another; each message goes to all others") {
  Fixture f;
  CHECK(f.focus.onRefer(kConf, "alice@example.test", "<sip:bob@example.test>") == 202);
  CHECK(f.focus.onRefer(kConf, "bob@example.test", "<sip:carol@example.test>") == 202);
  CHECK(f.focus.find(kConf)->participants().size() == 3);
  f.sent.clear();
  CHECK(f.focus.onMessage(kConf, "bob@example.test", "text/plain", "hi all") == 202);
  CHECK(f.textTo("text/plain") ==
        std::vector<std::string>{"alice@example.test", "carol@example.test"});
  for (const Sent& s : f.sent) {
    CHECK(s.store);  // offline participants get it later
    CHECK(s.m.body == "hi all");
    CHECK(s.m.from == "\"bob@example.test\" <sip:im-conf-1@example.test>");
  }
}

TEST_CASE("focus: joins and leaves are announced to everyone with a roster and a notice") {
  Fixture f;
  f.focus.onRefer(kConf, "alice@example.test", "<sip:bob@example.test>");
  f.sent.clear();
  f.focus.onRefer(kConf, "alice@example.test", "<sip:carol@example.test>");
  CHECK(f.textTo(std::string(kConferenceInfoType)) ==
        std::vector<std::string>{"alice@example.test", "bob@example.test", "carol@example.test"});
  CHECK(f.sent.front().m.notice == "carol@example.test joined the conversation");
  CHECK_FALSE(f.sent.front().store);
  f.sent.clear();
  f.focus.onLeft(kConf, "bob@example.test");
  CHECK(f.textTo(std::string(kConferenceInfoType)) ==
        std::vector<std::string>{"alice@example.test", "carol@example.test"});
  CHECK(f.sent.front().m.notice == "bob@example.test left the conversation");
  CHECK(f.focus.onRefer(kConf, "alice@example.test", "<sip:carol@example.test;method=BYE>") == 202);
  CHECK(f.focus.find(kConf)->participants() == std::vector<std::string>{"alice@example.test"});
}

TEST_CASE("focus: bad and unknown invitees, typing is never stored") {
  Fixture f;
  CHECK(f.focus.onRefer(kConf, "alice@example.test", "not a uri") == 400);
  CHECK(f.focus.onRefer(kConf, "alice@example.test", "<sip:nobody@example.test>") == 404);
  f.focus.onRefer(kConf, "alice@example.test", "<sip:bob@example.test>");
  f.sent.clear();
  f.focus.onMessage(kConf, "alice@example.test", "application/im-iscomposing+xml", "<x/>");
  REQUIRE(f.sent.size() == 1);
  CHECK_FALSE(f.sent[0].store);
  CHECK(isFocusAor("im-conf-x@example.test"));
  CHECK_FALSE(isFocusAor("im-conf-@example.test"));
  CHECK_FALSE(isFocusAor("alice@example.test"));
}

}  // namespace
}  // namespace core::im
