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

struct Notified {
  std::string text;
  std::string flow;
};

// A Fixture whose focus records its NOTIFYs; `status` answers them.
struct WatchedFixture : Fixture {
  std::vector<Notified> notifies;
  int status = 200;
  WatchedFixture() {
    focus.setNotifySender(
        [this](std::string text, std::string flow, StatusCallback done) {
          notifies.push_back({std::move(text), std::move(flow)});
          done(status);
        },
        "confab-test");
  }
  Focus::SubscribeResult subscribe(std::string watcher, std::optional<uint32_t> expires,
                                   int64_t now_ms = 0) {
    ConferenceSubscription s;
    s.focus_aor = kConf;
    s.watcher_aor = watcher;
    s.dialog.call_id = "sub-" + watcher;
    s.dialog.remote_tag = "rt";
    s.dialog.flow_token = "flow-" + watcher;
    return focus.subscribe(std::move(s), expires, now_ms);
  }
  bool lastHas(std::string_view needle) const {
    return !notifies.empty() && notifies.back().text.find(needle) != std::string::npos;
  }
};

TEST_CASE("focus: participants subscribe to the conference; full, then partial NOTIFYs") {
  WatchedFixture f;
  f.focus.onRefer(kConf, "alice@example.test", "<sip:bob@example.test>");
  CHECK(f.subscribe("mallory@example.test", std::nullopt).status == 403);  // not a participant
  CHECK(f.subscribe("alice@example.test", 30u).status == 423);
  Focus::SubscribeResult r = f.subscribe("alice@example.test", 99999u);
  REQUIRE(r.status == 200);
  CHECK(r.expires == Focus::kDefaultExpires);
  f.focus.notifyAfterSubscribe(r.id, 0);
  REQUIRE(f.notifies.size() == 1);
  CHECK(f.notifies[0].flow == "flow-alice@example.test");
  CHECK(f.lastHas("Subscription-State: active;expires=3600"));
  CHECK(f.lastHas("state=\"full\" version=\"1\""));
  CHECK(f.lastHas("sip:bob@example.test"));
  f.sent.clear();
  f.focus.onRefer(kConf, "bob@example.test", "<sip:carol@example.test>");
  REQUIRE(f.notifies.size() == 2);
  CHECK(f.lastHas("state=\"partial\" version=\"2\""));
  CHECK(f.lastHas("<user entity=\"sip:carol@example.test\" state=\"full\">"));
  CHECK(f.lastHas("CSeq: 2 NOTIFY"));
  // The subscriber gets the roster by NOTIFY, no longer by MESSAGE.
  CHECK(f.textTo(std::string(kConferenceInfoType)) ==
        std::vector<std::string>{"bob@example.test", "carol@example.test"});
  f.focus.onLeft(kConf, "carol@example.test");
  CHECK(f.lastHas("<user entity=\"sip:carol@example.test\" state=\"deleted\">"));
}

TEST_CASE("focus: refresh, unsubscribe, expiry, leaving and the end of the conversation") {
  WatchedFixture f;
  f.focus.onRefer(kConf, "alice@example.test", "<sip:bob@example.test>");
  const uint64_t a = f.subscribe("alice@example.test", 600u).id;
  const uint64_t b = f.subscribe("bob@example.test", 600u).id;
  CHECK(f.focus.refresh(a, 120u, 1, 1000).expires == 120);
  CHECK(f.focus.refresh(a, 120u, 1, 1000).status == 500);  // CSeq not increasing
  CHECK(f.focus.refresh(999, 120u, 2, 1000).status == 481);
  f.focus.expireSubscriptions(100000);  // alice: 1000 + 120 s
  CHECK(f.focus.subscriptions().size() == 2);
  f.focus.expireSubscriptions(121000);
  CHECK(f.lastHas("Subscription-State: terminated;reason=timeout"));
  CHECK(f.focus.subscriptions().find(a) == nullptr);
  // Unsubscribe: Expires 0 gets a final NOTIFY with the roster.
  CHECK(f.focus.refresh(b, 0u, 2, 2000).status == 200);
  f.focus.notifyAfterSubscribe(b, 2000);
  CHECK(f.lastHas("Subscription-State: terminated;reason=timeout"));
  CHECK(f.lastHas("state=\"full\""));
  CHECK(f.focus.subscriptions().size() == 0);
  // A leaver's subscription ends; the last one out ends the conversation.
  const uint64_t a2 = f.subscribe("alice@example.test", 600u).id;
  const uint64_t b2 = f.subscribe("bob@example.test", 600u).id;
  f.focus.onLeft(kConf, "alice@example.test");
  CHECK(f.focus.subscriptions().find(a2) == nullptr);
  CHECK(f.focus.subscriptions().find(b2) != nullptr);
  f.focus.onLeft(kConf, "bob@example.test");
  CHECK(f.lastHas("Subscription-State: terminated;reason=rejected"));
  CHECK(f.focus.subscriptions().size() == 0);
  CHECK(f.focus.find(kConf) == nullptr);
}

TEST_CASE("focus: a NOTIFY refused by the watcher ends its subscription") {
  WatchedFixture f;
  f.focus.onRefer(kConf, "alice@example.test", "<sip:bob@example.test>");
  f.status = 481;
  const uint64_t a = f.subscribe("alice@example.test", 600u).id;
  f.focus.notifyAfterSubscribe(a, 0);
  CHECK(f.focus.subscriptions().find(a) == nullptr);
}

}  // namespace
}  // namespace core::im
