// SPDX-License-Identifier: Apache-2.0
// presence.winfo for standard clients (RFC 3857/3858) over a PresenceService:
// full state first, partial documents per watcher change, pending watchers that
// a rule (also one synced from the store) turns active, expiry.
#include "core-server/presence/stages/standard_winfo.h"

#include <doctest/doctest.h>

#include "core-server/presence/service/rule_records.h"
#include "core-server/presence/service/service_testing.h"

namespace core::presence {
namespace {

using testing::RecordingSink;
using testing::subscribeOf;

struct WinfoFixture {
  proxy::ManualClock clock;
  RecordingSink presence_sink;
  RecordingSink winfo_sink;
  PresenceService service{clock, PresenceOptions{}, presence_sink};
  StandardWinfo winfo{service, winfo_sink, clock};

  WinfoFixture() {
    service.setWatcherListener([this](const WatcherChange& c) { winfo.onWatcherChange(c); });
  }

  SubscriptionId subscribeWinfo(std::optional<uint32_t> expires = 600) {
    DialogState d;
    d.call_id = "winfo-call";
    d.remote_tag = "atag";
    d.remote_target = "sip:alice@192.0.2.9:5060";
    SubscribeResult r = winfo.subscribe("alice@example.test", "", d, expires);
    REQUIRE(r.status == 200);
    winfo.sendOwedNotify(r.id);
    return r.id;
  }

  roaming::WatcherInfo last() {
    REQUIRE(!winfo_sink.sent.empty());
    const auto& n = winfo_sink.sent.back();
    CHECK(n.content_type == StandardWinfo::kContentType);
    auto parsed = roaming::parseWatcherInfo(*n.body, XmlLimits{});
    REQUIRE(parsed);
    return *parsed;
  }
};

TEST_CASE("winfo: full state first, then a partial document per new watcher") {
  WinfoFixture f;
  REQUIRE(f.service.subscribe(subscribeOf("alice@example.test", "bob@example.test")).status == 200);
  f.subscribeWinfo();
  roaming::WatcherInfo full = f.last();
  CHECK(full.version == 0);
  CHECK(full.full_state);
  REQUIRE(full.lists.size() == 1);
  CHECK(full.lists[0].resource == "sip:alice@example.test");
  REQUIRE(full.lists[0].watchers.size() == 1);
  CHECK(full.lists[0].watchers[0].uri == "sip:bob@example.test");
  CHECK(full.lists[0].watchers[0].status == roaming::WatcherStatus::Active);
  CHECK(f.winfo_sink.sent.back().state.starts_with("active;expires="));

  REQUIRE(f.service.subscribe(subscribeOf("alice@example.test", "carol@example.test")).status ==
          200);
  roaming::WatcherInfo partial = f.last();
  CHECK(partial.version == 1);
  CHECK_FALSE(partial.full_state);
  REQUIRE(partial.lists[0].watchers.size() == 1);
  CHECK(partial.lists[0].watchers[0].uri == "sip:carol@example.test");
  CHECK(partial.lists[0].watchers[0].event == roaming::WatcherEvent::Subscribe);
}

TEST_CASE("winfo: a pending watcher becomes active when a rule allows it, then terminated") {
  WinfoFixture f;
  f.service.setRule("alice@example.test", WatcherRule{true, "example.test", Decision::Confirm});
  f.subscribeWinfo();
  CHECK(f.last().lists[0].watchers.empty());
  SubscribeResult bob = f.service.subscribe(subscribeOf("alice@example.test", "bob@example.test"));
  REQUIRE(bob.status == 202);
  auto pending = f.last().lists[0].watchers;
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].status == roaming::WatcherStatus::Pending);
  CHECK(pending[0].id == "w" + std::to_string(bob.id));

  // The owner allows bob, the way confabctl does: a stored rule the server notices.
  const std::vector<PresenceRecord> before = {
      ruleRecord("alice@example.test", WatcherRule{true, "example.test", Decision::Confirm})};
  std::vector<PresenceRecord> after = before;
  after.push_back(
      ruleRecord("alice@example.test", WatcherRule{false, "bob@example.test", Decision::Allow}));
  f.service.applyRuleChanges(diffRules(before, after), [](std::string_view) { return true; });
  auto approved = f.last().lists[0].watchers;
  REQUIRE(approved.size() == 1);
  CHECK(approved[0].status == roaming::WatcherStatus::Active);
  CHECK(approved[0].event == roaming::WatcherEvent::Approved);

  // bob un-subscribes: terminated, event timeout.
  SubscribeResult gone = f.service.refresh(bob.id, 0, 2);
  REQUIRE(gone.status == 200);
  f.service.sendOwedNotify(bob.id);
  auto ended = f.last().lists[0].watchers;
  REQUIRE(ended.size() == 1);
  CHECK(ended[0].status == roaming::WatcherStatus::Terminated);
  CHECK(ended[0].event == roaming::WatcherEvent::Timeout);
}

TEST_CASE("winfo: a denied watcher shows rejected; rules removed from the store are dropped") {
  WinfoFixture f;
  auto everywhere = [](std::string_view) { return true; };
  SubscribeResult bob = f.service.subscribe(subscribeOf("alice@example.test", "bob@example.test"));
  REQUIRE(bob.status == 200);
  f.subscribeWinfo();
  const PresenceRecord deny =
      ruleRecord("alice@example.test", WatcherRule{false, "bob@example.test", Decision::Reject});
  f.service.applyRuleChanges(diffRules({}, {deny}), everywhere);
  auto rejected = f.last().lists[0].watchers;
  REQUIRE(rejected.size() == 1);
  CHECK(rejected[0].status == roaming::WatcherStatus::Terminated);
  CHECK(rejected[0].event == roaming::WatcherEvent::Rejected);
  CHECK(f.service.rules("alice@example.test").size() == 1);
  f.service.applyRuleChanges(diffRules({deny}, {}), everywhere);
  CHECK(f.service.rules("alice@example.test").empty());
  // Rules the store never had (the configuration's) are not touched.
  f.service.setRule("alice@example.test", WatcherRule{true, "corp.test", Decision::Block},
                    /*persist=*/false);
  f.service.applyRuleChanges(diffRules({deny}, {}), everywhere);
  CHECK(f.service.decide("alice@example.test", "eve@corp.test") == Decision::Block);
  const PresenceRecord corp =
      ruleRecord("alice@example.test", WatcherRule{true, "corp.test", Decision::Allow});
  auto changed = diffRules(
      {corp}, {ruleRecord("alice@example.test", WatcherRule{true, "corp.test", Decision::Block})});
  REQUIRE(changed.size() == 1);
  CHECK_FALSE(changed[0].removed);
  CHECK(changed[0].rule.decision == Decision::Block);
  CHECK(diffRules({corp}, {corp}).empty());
  // Only the owner's shard applies a presentity's rules.
  f.service.applyRuleChanges(diffRules({}, {deny}), [](std::string_view) { return false; });
  CHECK(f.service.decide("alice@example.test", "bob@example.test") == Decision::Allow);
}

TEST_CASE("winfo: refresh resends full state, unsubscribe and expiry terminate") {
  WinfoFixture f;
  SubscriptionId id = f.subscribeWinfo(120);
  REQUIRE(f.winfo.findDialog("winfo-call", f.winfo.dialog(id)->local_tag, "atag") == id);
  REQUIRE(f.service.subscribe(subscribeOf("alice@example.test", "bob@example.test")).status == 200);
  SubscribeResult again = f.winfo.refresh(id, 120, 2, {}, {});
  REQUIRE(again.status == 200);
  f.winfo.sendOwedNotify(id);
  roaming::WatcherInfo full = f.last();
  CHECK(full.full_state);
  CHECK(full.version == 2);
  CHECK(full.lists[0].watchers.size() == 1);

  f.clock.advanceMs(119'000);
  f.winfo.expire();
  CHECK(f.winfo.size() == 1);
  f.clock.advanceMs(1'000);
  f.winfo.expire();
  CHECK(f.winfo.size() == 0);
  CHECK(f.winfo_sink.sent.back().state == "terminated;reason=timeout");
  CHECK(f.winfo.refresh(id, 120, 3, {}, {}).status == 481);
}

TEST_CASE("winfo: fetch, bounds and replays") {
  WinfoFixture f;
  DialogState d;
  d.call_id = "c";
  d.remote_tag = "t";
  CHECK(f.winfo.subscribe("alice@example.test", "", d, 10).status == 423);
  SubscribeResult fetch = f.winfo.subscribe("alice@example.test", "", d, 0);
  REQUIRE(fetch.status == 200);
  f.winfo.sendOwedNotify(fetch.id);
  CHECK(f.winfo_sink.sent.back().state == "terminated;reason=timeout");
  CHECK(f.winfo.size() == 0);
  d.local_tag = "ours";
  REQUIRE(f.winfo.subscribe("alice@example.test", "", d, 600).status == 200);
  CHECK(f.winfo.subscribe("alice@example.test", "", d, 600).status == 482);
  CHECK(winfoEventOf("approved") == roaming::WatcherEvent::Approved);
  CHECK(winfoEventOf("nonsense") == roaming::WatcherEvent::Giveup);
}

}  // namespace
}  // namespace core::presence
