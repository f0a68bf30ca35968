// SPDX-License-Identifier: Apache-2.0
// The stages' own subscriptions survive a restart: presence.winfo and RFC 4662
// list dialogs are stored with their dialog state, restored by a new service
// over the same store (a refresh finds them, NOTIFYs continue with growing CSeqs
// and versions), and their records go when they end, also by expiry.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "core-server/presence/roaming/multipart.h"
#include "core-server/presence/service/dialog_json.h"
#include "core-server/presence/service/service_testing.h"
#include "core-server/presence/stages/standard_eventlist.h"
#include "core-server/presence/stages/standard_winfo.h"

namespace core::presence {
namespace {

using testing::RecordingSink;
using testing::subscribeOf;

constexpr std::string_view kAlice = "alice@example.test";

DialogState aliceDialog(std::string call_id) {
  DialogState d;
  d.call_id = std::move(call_id);
  d.remote_tag = "atag";
  d.local_uri = "sip:alice@example.test";
  d.remote_uri = "sip:alice@example.test";
  d.remote_target = "sip:alice@192.0.2.9:5060;transport=tcp";
  d.route_set = {"<sip:edge.example.test;lr>"};
  d.local_contact = "<sip:alice@192.0.2.1:5060;transport=tcp;sh=0>";
  d.flow_token = "tcp/1/7/192.0.2.9:40000";
  return d;
}

auto everything = [](std::string_view) { return true; };

// One "process": a service and its winfo over a store that outlives it.
struct WinfoRun {
  WinfoRun(proxy::ManualClock& clock, MemoryPresenceStateStore& store)
      : service(clock, PresenceOptions{}, presence_sink, &store), winfo(service, sink, clock) {
    service.setWatcherListener([this](const WatcherChange& c) { winfo.onWatcherChange(c); });
    auto records = store.load();
    service.load(records, everything);
    winfo.load(records, everything);
  }
  RecordingSink presence_sink;
  RecordingSink sink;
  PresenceService service;
  StandardWinfo winfo;
};

TEST_CASE("dialog json: every field of a dialog round-trips; unusable ones are refused") {
  DialogState d = aliceDialog("c1");
  d.local_tag = "ltag";
  d.local_cseq = 7;
  d.remote_cseq = 3;
  d.flow_token = "udp/0/0/192.0.2.9:5060";
  auto back = dialogFromJson(dialogToJson(d, 107));
  REQUIRE(back);
  DialogState expected = d;
  expected.local_cseq = 107;  // the stored bound, not the last CSeq
  CHECK(*back == expected);
  // A connection does not survive a restart (and its id may be another client's now).
  d.flow_token = "tcp/0/5/192.0.2.9:40000";
  auto tcp = dialogFromJson(dialogToJson(d, 1));
  REQUIRE(tcp);
  CHECK(tcp->flow_token.empty());
  CHECK(restoredFlowToken("udp/0/0/192.0.2.9:5060") == "udp/0/0/192.0.2.9:5060");
  CHECK(restoredFlowToken("tls/1/9/192.0.2.9:5061").empty());
  d.local_tag.clear();
  CHECK_FALSE(dialogFromJson(dialogToJson(d, 1)));
  CHECK_FALSE(dialogFromJson(nlohmann::json::array()));
}

TEST_CASE("winfo persistence: saved, restored, refreshed after a restart; CSeq and version grow") {
  proxy::ManualClock clock;
  MemoryPresenceStateStore store;
  DialogState stored_dialog;
  uint32_t last_cseq = 0;
  {
    WinfoRun run(clock, store);
    SubscribeResult r = run.winfo.subscribe(std::string(kAlice), "", aliceDialog("w1"), 600);
    REQUIRE(r.status == 200);
    run.winfo.sendOwedNotify(r.id);
    REQUIRE(run.service.subscribe(subscribeOf(std::string(kAlice), "bob@example.test")).status ==
            200);
    REQUIRE(run.sink.sent.size() == 2);  // full state, then bob's arrival
    last_cseq = run.sink.sent.back().cseq;
    CHECK(store.count(RecordKind::Winfo) == 1);
    stored_dialog = *run.winfo.dialog(r.id);
  }
  clock.advanceMs(10'000);  // the restart
  WinfoRun run(clock, store);
  REQUIRE(run.winfo.size() == 1);
  auto id = run.winfo.findDialog(stored_dialog.call_id, stored_dialog.local_tag,
                                 stored_dialog.remote_tag);
  REQUIRE(id);
  const DialogState* restored = run.winfo.dialog(*id);
  CHECK(restored->remote_target == stored_dialog.remote_target);
  CHECK(restored->route_set == stored_dialog.route_set);
  CHECK(restored->flow_token.empty());  // its TCP connection did not survive
  CHECK(restored->local_contact == stored_dialog.local_contact);
  // The first tick after the restart resends the full state, in the same dialog.
  run.winfo.expire();
  REQUIRE(run.sink.sent.size() == 1);
  CHECK(run.sink.sent[0].cseq > last_cseq);
  auto doc = roaming::parseWatcherInfo(*run.sink.sent[0].body, XmlLimits{});
  REQUIRE(doc);
  CHECK(doc->full_state);
  CHECK(doc->version >= 2);  // after versions 0 and 1 sent before the restart
  REQUIRE(doc->lists.size() == 1);
  CHECK(doc->lists[0].watchers.size() == 1);  // bob's subscription was restored too
  // A watcher change reaches the restored dialog without a new SUBSCRIBE.
  REQUIRE(run.service.subscribe(subscribeOf(std::string(kAlice), "carol@example.test")).status ==
          200);
  REQUIRE(run.sink.sent.size() == 2);
  CHECK(run.sink.sent[1].cseq == run.sink.sent[0].cseq + 1);
  // A refresh is a refresh (200), not a 481, and the record follows it.
  SubscribeResult refreshed = run.winfo.refresh(*id, 900, stored_dialog.remote_cseq + 1, "", "");
  CHECK(refreshed.status == 200);
  CHECK(store.count(RecordKind::Winfo) == 1);
  // Unsubscribe: the record goes with the final NOTIFY.
  CHECK(run.winfo.refresh(*id, 0, stored_dialog.remote_cseq + 2, "", "").status == 200);
  run.winfo.sendOwedNotify(*id);
  CHECK(run.winfo.size() == 0);
  CHECK(store.count(RecordKind::Winfo) == 0);
}

TEST_CASE("winfo persistence: expiry removes the record at expiry, and across a restart") {
  proxy::ManualClock clock;
  MemoryPresenceStateStore store;
  {
    WinfoRun run(clock, store);
    SubscribeResult r = run.winfo.subscribe(std::string(kAlice), "", aliceDialog("w2"), 120);
    REQUIRE(r.status == 200);
    run.winfo.sendOwedNotify(r.id);
    CHECK(run.winfo.nextDeadlineMs() == clock.monotonicMs() + 120'000);
  }
  clock.advanceMs(60'000);
  {
    WinfoRun run(clock, store);
    REQUIRE(run.winfo.size() == 1);
    CHECK(run.winfo.nextDeadlineMs() == clock.monotonicMs() + 60'000);  // the stored expiry
    clock.advanceMs(59'999);
    run.winfo.expire();
    CHECK(run.winfo.size() == 1);
    CHECK(store.count(RecordKind::Winfo) == 1);
    clock.advanceMs(1);
    run.winfo.expire();
    CHECK(run.winfo.size() == 0);
    CHECK(run.sink.sent.back().state == "terminated;reason=timeout");
    CHECK(store.count(RecordKind::Winfo) == 0);
  }
  // Expired while the server was down: never restored, and its record goes.
  {
    WinfoRun run(clock, store);
    SubscribeResult r = run.winfo.subscribe(std::string(kAlice), "", aliceDialog("w3"), 120);
    REQUIRE(r.status == 200);
  }
  clock.advanceMs(121'000);
  WinfoRun run(clock, store);
  CHECK(run.winfo.size() == 0);
  CHECK(store.count(RecordKind::Winfo) == 0);
}

TEST_CASE("winfo persistence: a fetch is never stored") {
  proxy::ManualClock clock;
  MemoryPresenceStateStore store;
  WinfoRun run(clock, store);
  SubscribeResult r = run.winfo.subscribe(std::string(kAlice), "", aliceDialog("w4"), 0);
  REQUIRE(r.status == 200);
  run.winfo.sendOwedNotify(r.id);
  CHECK(store.count(RecordKind::Winfo) == 0);
  CHECK(store.writes() == 0);
}

// Lists: one shard holding everyone.
struct OneShard final : MemberShards {
  unsigned here() const override { return 0; }
  unsigned ownerOf(std::string_view) const override { return 0; }
  void run(unsigned, std::function<void(PresenceService&, StandardEventList*)> task) override {
    task(*service, lists);
  }
  PresenceService* service = nullptr;
  StandardEventList* lists = nullptr;
};

struct ListRun {
  ListRun(proxy::ManualClock& clock, MemoryPresenceStateStore& store,
          const roaming::ContactList& contacts)
      : service(clock, PresenceOptions{}, presence_sink, &store),
        lists(service, sink, clock, shards, "confab.example.test") {
    shards.service = &service;
    shards.lists = &lists;
    lists.setContactLists([&contacts](std::string_view aor) -> const roaming::ContactList* {
      return aor == kAlice ? &contacts : nullptr;
    });
    auto records = store.load();
    service.load(records, everything);
    lists.load(records, everything);
  }
  RecordingSink presence_sink;
  RecordingSink sink;
  OneShard shards;
  PresenceService service;
  StandardEventList lists;
};

roaming::ContactList buddies() {
  roaming::ContactList list;
  for (const char* uri : {"sip:bob@example.test", "sip:carol@example.test"}) {
    roaming::Contact c;
    c.uri = uri;
    REQUIRE(list.setContact(c, roaming::ContactListLimits{}));
  }
  return list;
}

constexpr std::string_view kListUri = "sip:alice@example.test;list=buddies";

TEST_CASE("eventlist persistence: restored list watches its members again and NOTIFYs go on") {
  proxy::ManualClock clock;
  MemoryPresenceStateStore store;
  const roaming::ContactList contacts = buddies();
  DialogState stored_dialog;
  uint32_t last_cseq = 0;
  {
    ListRun run(clock, store, contacts);
    SubscribeResult r =
        run.lists.subscribe(std::string(kAlice), std::string(kListUri), "", aliceDialog("l1"), 600);
    REQUIRE(r.status == 200);
    run.lists.sendOwedNotify(r.id);
    REQUIRE(!run.sink.sent.empty());
    last_cseq = run.sink.sent.back().cseq;
    stored_dialog = *run.lists.dialog(r.id);
    CHECK(store.count(RecordKind::EventList) == 1);
  }
  CHECK(store.count(RecordKind::EventList) == 1);  // a shutdown is no unsubscribe
  clock.advanceMs(5'000);
  ListRun run(clock, store, contacts);
  REQUIRE(run.lists.size() == 1);
  auto id = run.lists.findDialog(stored_dialog.call_id, stored_dialog.local_tag,
                                 stored_dialog.remote_tag);
  REQUIRE(id);
  // First tick: members watched again, full state in the same dialog.
  run.lists.expire();
  REQUIRE(run.sink.sent.size() == 1);
  CHECK(run.sink.sent[0].cseq > last_cseq);
  auto parts = roaming::parseMultipart(run.sink.sent[0].content_type, *run.sink.sent[0].body);
  REQUIRE(parts);
  auto rlmi = roaming::parseRlmi((*parts)[0].body, XmlLimits{});
  REQUIRE(rlmi);
  CHECK(rlmi->full_state);
  CHECK(rlmi->uri == kListUri);
  CHECK(rlmi->version >= 1);
  CHECK(rlmi->resources.size() == 2);
  // A member's change arrives without a new SUBSCRIBE.
  REQUIRE(run.service
              .publish(testing::publishOf("bob@example.test",
                                          testing::pidf("sip:bob@example.test", true, "busy")))
              .status == 200);
  REQUIRE(run.sink.sent.size() == 2);
  CHECK(testing::contains(run.sink.sent[1].body, "busy"));
  // Refresh: 200, and an unsubscribe erases the record.
  CHECK(run.lists.refresh(*id, 600, 10, "", "").status == 200);
  run.lists.sendOwedNotify(*id);
  CHECK(store.count(RecordKind::EventList) == 1);
  CHECK(run.lists.refresh(*id, 0, 11, "", "").status == 200);
  run.lists.sendOwedNotify(*id);
  CHECK(run.lists.size() == 0);
  CHECK(store.count(RecordKind::EventList) == 0);
}

TEST_CASE("eventlist persistence: expiry at the stored time, record removed") {
  proxy::ManualClock clock;
  MemoryPresenceStateStore store;
  const roaming::ContactList contacts = buddies();
  {
    ListRun run(clock, store, contacts);
    SubscribeResult r =
        run.lists.subscribe(std::string(kAlice), std::string(kListUri), "", aliceDialog("l2"), 300);
    REQUIRE(r.status == 200);
    run.lists.sendOwedNotify(r.id);
  }
  clock.advanceMs(100'000);
  ListRun run(clock, store, contacts);
  REQUIRE(run.lists.nextDeadlineMs());
  CHECK(*run.lists.nextDeadlineMs() == clock.monotonicMs() + 200'000);
  clock.advanceMs(200'000);
  run.lists.expire();
  CHECK(run.lists.size() == 0);
  CHECK(store.count(RecordKind::EventList) == 0);
  REQUIRE(!run.sink.sent.empty());
  CHECK(run.sink.sent.back().state == "terminated;reason=timeout");
}

}  // namespace
}  // namespace core::presence
