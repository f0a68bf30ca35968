// SPDX-License-Identifier: Apache-2.0
// Subscriptions (RFC 6665 / RFC 3856), authorization, NOTIFY rate control,
// limits and persistence of the presence service.
#include <doctest/doctest.h>

#include "core-server/presence/service/service_testing.h"

namespace core::presence {
namespace {

using testing::contains;
using testing::pidf;
using testing::publishOf;
using testing::subscribeOf;

constexpr const char* kAlice = "alice@example.test";
constexpr const char* kBob = "bob@example.test";
constexpr const char* kCarol = "carol@example.test";

struct Fixture {
  proxy::ManualClock clock;
  testing::RecordingSink sink;
  MemoryPresenceStateStore store;
  PresenceOptions options;
  std::unique_ptr<PresenceService> service;

  Fixture() { service = std::make_unique<PresenceService>(clock, options, sink, &store); }
  void rebuild() { service = std::make_unique<PresenceService>(clock, options, sink, &store); }
  void advance(int64_t ms) {
    clock.advanceMs(ms);
    service->runTimers();
  }
  // Subscribes, sends the owed NOTIFY and answers it 200.
  SubscriptionId subscribe(const char* presentity, const char* watcher, uint32_t expires = 600) {
    SubscribeResult r = service->subscribe(subscribeOf(presentity, watcher, expires));
    REQUIRE(r.status < 300);
    service->sendOwedNotify(r.id);
    answerAll();
    return r.id;
  }
  void answerAll(int status = 200) {
    for (; answered < sink.sent.size(); ++answered) {
      service->onNotifyResult(sink.sent[answered].id, sink.sent[answered].cseq, status);
    }
  }
  const testing::SentNotify& last() {
    REQUIRE(!sink.sent.empty());
    return sink.sent.back();
  }
  size_t answered = 0;
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "subscribe: 200, then a NOTIFY with full state and active") {
  service->setRegistrations(kAlice, {{"sip:alice@192.0.2.9", ""}});
  SubscribeResult r = service->subscribe(subscribeOf(kAlice, kBob, 600));
  REQUIRE(r.status == 200);
  CHECK(r.expires == 600);
  CHECK_FALSE(r.local_tag.empty());
  CHECK(sink.sent.empty());  // not before the response went out
  service->sendOwedNotify(r.id);
  REQUIRE(sink.sent.size() == 1);
  CHECK(last().state == "active;expires=600");
  CHECK(last().content_type == "application/pidf+xml");
  CHECK(contains(last().body, "<basic>open</basic>"));
  CHECK(last().cseq == 1);
  CHECK(service->findDialog("call-bob@example.test", r.local_tag, "wtag") == r.id);
  CHECK_FALSE(service->findDialog("call-bob@example.test", "other", "wtag"));
  CHECK(store.count(RecordKind::Subscription) == 1);
}

TEST_CASE_FIXTURE(Fixture, "subscribe: changes reach the watcher, CSeq grows per dialog") {
  service->setRegistrations(kAlice, {{"sip:alice@192.0.2.9", ""}});
  subscribe(kAlice, kBob);
  advance(1000);
  PublishResult pub =
      service->publish(publishOf(kAlice, pidf("sip:alice@example.test", true, "busy", "lunch?")));
  REQUIRE(pub.status == 200);
  REQUIRE(sink.sent.size() == 2);
  CHECK(contains(last().body, "busy"));
  CHECK(contains(last().body, "lunch?"));
  CHECK(last().cseq == 2);
  answerAll();
  advance(1000);
  service->setRegistrations(kAlice, {});  // a publication still stands: no change
  CHECK(sink.sent.size() == 2);
  service->publish(publishOf(kAlice, "", 0, pub.etag));
  REQUIRE(sink.sent.size() == 3);
  CHECK(contains(last().body, "<basic>closed</basic>"));
}

TEST_CASE_FIXTURE(Fixture, "rate control: one NOTIFY per interval, the latest state at its end") {
  service->setRegistrations(kAlice, {{"sip:alice@192.0.2.9", ""}});
  subscribe(kAlice, kBob);
  REQUIRE(sink.sent.size() == 1);
  const uint64_t renders = service->stats().renders;
  // Three changes within 200 ms of the first NOTIFY.
  PublishResult p1 = service->publish(publishOf(kAlice, pidf("sip:a", true, "busy")));
  clock.advanceMs(50);
  service->publish(publishOf(kAlice, pidf("sip:a", true, "away"), 3600, p1.etag));
  clock.advanceMs(50);
  PublishResult p3 = service->publish(publishOf(kAlice, pidf("sip:a", true, "busy", "final")));
  CHECK(sink.sent.size() == 1);
  CHECK(service->nextDeadlineMs() == 200);
  advance(99);
  CHECK(sink.sent.size() == 1);
  advance(1);
  CHECK(sink.sent.size() == 2);
  CHECK(contains(last().body, "final"));
  CHECK(service->stats().renders == renders + 1);  // intermediate states never rendered
  CHECK(service->stats().coalesced >= 2);
  answerAll();
  // A change long after the interval goes out at once.
  advance(5000);
  service->publish(publishOf(kAlice, "", 0, p3.etag));
  CHECK(sink.sent.size() == 3);
}

TEST_CASE_FIXTURE(Fixture, "rate control: a NOTIFY in flight holds the next until answered") {
  service->setRegistrations(kAlice, {{"sip:alice@192.0.2.9", ""}});
  SubscribeResult r = service->subscribe(subscribeOf(kAlice, kBob));
  service->sendOwedNotify(r.id);
  advance(1000);
  service->publish(publishOf(kAlice, pidf("sip:a", true, "busy")));
  CHECK(sink.sent.size() == 1);  // the first is unanswered
  answerAll();
  CHECK(sink.sent.size() == 2);
  CHECK(contains(last().body, "busy"));
}

TEST_CASE_FIXTURE(Fixture, "render once per change per view, shared by every watcher") {
  service->setRegistrations(kAlice, {{"sip:alice@192.0.2.9", ""}});
  for (int i = 0; i < 10; ++i) {
    std::string watcher = "w" + std::to_string(i) + "@example.test";
    SubscribeResult r = service->subscribe(subscribeOf(kAlice, watcher));
    REQUIRE(r.status == 200);
    service->sendOwedNotify(r.id);
  }
  answerAll();
  CHECK(service->stats().renders == 1);
  advance(1000);
  const uint64_t before = service->stats().renders;
  service->publish(publishOf(kAlice, pidf("sip:a", true, "busy")));
  CHECK(sink.sent.size() == 20);
  CHECK(service->stats().renders == before + 1);
  CHECK(sink.sent[10].body.get() == sink.sent[19].body.get());
}

TEST_CASE_FIXTURE(Fixture, "refresh, unsubscribe, fetch and expiry") {
  service->setRegistrations(kAlice, {{"sip:alice@192.0.2.9", ""}});
  SubscriptionId id = subscribe(kAlice, kBob, 600);
  advance(300'000);
  SubscribeResult refreshed = service->refresh(id, 600, 2);
  REQUIRE(refreshed.status == 200);
  service->sendOwedNotify(id);
  CHECK(last().state == "active;expires=600");
  answerAll();
  CHECK(service->refresh(id, 10, 3).status == 423);
  // Expiry 600 s after the refresh: terminated;reason=timeout, then gone.
  advance(599'999);
  CHECK(service->subscription(id) != nullptr);
  advance(1);
  CHECK(last().state == "terminated;reason=timeout");
  CHECK(contains(last().body, "<basic>open</basic>"));
  CHECK(service->subscription(id) == nullptr);
  CHECK(service->stats().subscriptions_expired == 1);
  CHECK(store.count(RecordKind::Subscription) == 0);
  CHECK(service->refresh(id, 600, 4).status == 481);

  SubscriptionId again = subscribe(kAlice, kBob, 600);
  SubscribeResult bye = service->refresh(again, 0, 2);
  CHECK(bye.status == 200);
  CHECK(bye.expires == 0);
  service->sendOwedNotify(again);
  CHECK(last().state == "terminated;reason=timeout");
  CHECK(service->subscription(again) == nullptr);

  SubscribeResult fetch = service->subscribe(subscribeOf(kAlice, kCarol, 0));
  CHECK(fetch.status == 200);
  service->sendOwedNotify(fetch.id);
  CHECK(last().state == "terminated;reason=timeout");
  CHECK(contains(last().body, "<basic>open</basic>"));
  CHECK(service->subscriptionCount() == 0);
}

TEST_CASE_FIXTURE(Fixture, "NOTIFY failures 481 / 408 / 503 drop, 500 keeps") {
  for (int status : {481, 408, 503, 500}) {
    SubscribeResult r = service->subscribe(subscribeOf(kAlice, kBob));
    REQUIRE(r.status == 200);
    service->sendOwedNotify(r.id);
    answerAll(status);
    CHECK((service->subscription(r.id) == nullptr) == (status != 500));
    if (status == 500) {
      service->refresh(r.id, 0, 9);
      service->sendOwedNotify(r.id);
    }
    answered = sink.sent.size();
  }
  CHECK(service->stats().dropped_by_notify == 3);
  CHECK(store.count(RecordKind::Subscription) == 0);
}

TEST_CASE_FIXTURE(Fixture, "authorization: a blocked watcher only ever sees offline") {
  service->setRegistrations(kAlice, {{"sip:alice@192.0.2.9", ""}});
  service->setRule(kAlice, {false, kCarol, Decision::Block});
  SubscribeResult r = service->subscribe(subscribeOf(kAlice, kCarol));
  REQUIRE(r.status == 200);  // polite blocking
  service->sendOwedNotify(r.id);
  CHECK(last().state.starts_with("active"));
  CHECK(contains(last().body, "<basic>closed</basic>"));
  CHECK_FALSE(contains(last().body, "192.0.2.9"));
  answerAll();
  advance(1000);
  const size_t before = sink.sent.size();
  service->publish(publishOf(kAlice, pidf("sip:a", true, "busy", "secret note")));
  CHECK(sink.sent.size() == before);  // not even told that something changed
  SubscribeResult refreshed = service->refresh(r.id, 600, 2);
  REQUIRE(refreshed.status == 200);
  service->sendOwedNotify(r.id);
  CHECK(contains(last().body, "<basic>closed</basic>"));
  CHECK_FALSE(contains(last().body, "secret note"));
  CHECK_FALSE(contains(last().body, "busy"));
}

TEST_CASE_FIXTURE(Fixture, "authorization: rule changes re-evaluate existing subscriptions") {
  service->setRegistrations(kAlice, {{"sip:alice@192.0.2.9", ""}});
  service->publish(publishOf(kAlice, pidf("sip:a", true, "busy", "note")));
  SubscriptionId id = subscribe(kAlice, kCarol);
  CHECK(contains(last().body, "note"));
  advance(1000);
  service->setRule(kAlice, {false, kCarol, Decision::Block});
  CHECK(contains(last().body, "<basic>closed</basic>"));
  CHECK_FALSE(contains(last().body, "note"));
  answerAll();
  advance(1000);
  service->setRule(kAlice, {false, kCarol, Decision::Confirm});
  CHECK(last().state.starts_with("pending"));
  CHECK(last().body == nullptr);
  answerAll();
  advance(1000);
  service->removeRule(kAlice, false, kCarol);  // back to the domain default: allow
  CHECK(last().state.starts_with("active"));
  CHECK(contains(last().body, "note"));
  answerAll();
  advance(1000);
  service->setRule(kAlice, {true, "example.test", Decision::Reject});
  CHECK(last().state == "terminated;reason=rejected");
  CHECK(last().body == nullptr);
  CHECK(service->subscription(id) == nullptr);
  CHECK(service->subscribe(subscribeOf(kAlice, kCarol)).status == 403);
  CHECK(service->rules(kAlice).size() == 1);
  CHECK(store.count(RecordKind::Rule) == 1);
}

TEST_CASE_FIXTURE(Fixture, "authorization: pending until allowed; federated denied by default") {
  service->setRegistrations(kAlice, {{"sip:alice@192.0.2.9", ""}});
  service->setRule(kAlice, {false, kBob, Decision::Confirm});
  SubscribeResult r = service->subscribe(subscribeOf(kAlice, kBob));
  CHECK(r.status == 202);
  service->sendOwedNotify(r.id);
  CHECK(last().state == "pending;expires=600");
  CHECK(last().body == nullptr);
  answerAll();
  CHECK(service->watchers(kAlice).size() == 1);
  CHECK(service->watchers(kAlice)[0].status == SubscriptionStatus::Pending);
  advance(100);
  service->setRule(kAlice, {false, kBob, Decision::Allow});
  CHECK(sink.sent.size() == 1);  // the rate interval is not over yet
  advance(100);
  CHECK(last().state.starts_with("active"));
  CHECK(contains(last().body, "<basic>open</basic>"));

  CHECK(service->subscribe(subscribeOf(kAlice, "mallory@other.test")).status == 403);
  service->setRule(kAlice, {true, "other.test", Decision::Allow});
  CHECK(service->subscribe(subscribeOf(kAlice, "mallory@other.test")).status == 200);
  CHECK(service->decide(kAlice, kAlice) == Decision::Allow);
}

TEST_CASE_FIXTURE(Fixture, "BENOTIFY after the first NOTIFY; a refresh moves the target") {
  SubscribeRequest request = subscribeOf(kAlice, kBob);
  request.benotify = true;
  SubscribeResult r = service->subscribe(std::move(request));
  service->sendOwedNotify(r.id);
  REQUIRE(sink.sent.size() == 1);
  CHECK_FALSE(sink.sent[0].benotify);
  advance(1000);
  service->setRegistrations(kAlice, {{"sip:alice@192.0.2.9", ""}});
  REQUIRE(sink.sent.size() == 1);  // the first NOTIFY is still unanswered
  answerAll();
  REQUIRE(sink.sent.size() == 2);
  CHECK(last().benotify);
  advance(1000);
  service->setRegistrations(kAlice, {});
  REQUIRE(sink.sent.size() == 3);  // no response awaited for a BENOTIFY
  CHECK(last().benotify);
  service->refresh(r.id, 600, 5, "sip:bob@198.51.100.7:5060", "tcp/1/42/198.51.100.7:5060");
  service->sendOwedNotify(r.id);
  CHECK(last().remote_target == "sip:bob@198.51.100.7:5060");
  CHECK(service->subscription(r.id)->dialog.flow_token == "tcp/1/42/198.51.100.7:5060");
}

TEST_CASE("limits: subscriptions per watcher and watchers per presentity") {
  proxy::ManualClock clock;
  testing::RecordingSink sink;
  PresenceOptions options;
  options.max_subscriptions_per_watcher = 2;
  options.max_watchers_per_presentity = 3;
  PresenceService service(clock, options, sink);
  CHECK(service.subscribe(subscribeOf("p1@example.test", kBob)).status == 200);
  CHECK(service.subscribe(subscribeOf("p2@example.test", kBob)).status == 200);
  SubscribeResult third = service.subscribe(subscribeOf("p3@example.test", kBob));
  CHECK(third.status == 403);
  CHECK(third.reason == "Too Many Subscriptions");
  CHECK(service.subscribe(subscribeOf(kAlice, "w1@example.test")).status == 200);
  CHECK(service.subscribe(subscribeOf(kAlice, "w2@example.test")).status == 200);
  CHECK(service.subscribe(subscribeOf(kAlice, "w3@example.test")).status == 200);
  SubscribeResult fourth = service.subscribe(subscribeOf(kAlice, "w4@example.test"));
  CHECK(fourth.status == 403);
  CHECK(fourth.reason == "Too Many Watchers");
  CHECK(service.subscribe(subscribeOf(kAlice, "w4@example.test", 0)).status == 200);  // fetch
  SubscribeResult brief = service.subscribe(subscribeOf(kAlice, "w5@example.test", 10));
  CHECK(brief.status == 423);
  CHECK(brief.min_expires == 60);
}

TEST_CASE_FIXTURE(Fixture, "restart: subscriptions keep their dialog and get NOTIFYs") {
  service->setRegistrations(kAlice, {{"sip:alice@192.0.2.9", ""}});
  SubscribeRequest request = subscribeOf(kAlice, kBob, 3600);
  request.dialog.route_set = {"<sip:192.0.2.50;lr>", "<sip:192.0.2.51;lr>"};
  SubscribeResult r = service->subscribe(std::move(request));
  service->sendOwedNotify(r.id);
  answerAll();
  PublishResult pub = service->publish(publishOf(kAlice, pidf("sip:a", true, "busy"), 120));
  REQUIRE(pub.status == 200);
  const uint32_t cseq_before = last().cseq;
  answerAll();

  clock.advanceMs(10'000);
  rebuild();
  service->load(store.load(), [](std::string_view) { return true; });
  service->setRegistrations(kAlice, {{"sip:alice@192.0.2.9", ""}});
  auto id = service->findDialog("call-bob@example.test", r.local_tag, "wtag");
  REQUIRE(id);
  const Subscription* s = service->subscription(*id);
  REQUIRE(s != nullptr);
  CHECK(s->dialog.route_set.size() == 2);
  CHECK(s->dialog.flow_token == "udp/0/0/192.0.2.1:5060");
  const size_t before = sink.sent.size();
  service->runTimers();
  REQUIRE(sink.sent.size() == before + 1);
  CHECK(last().cseq > cseq_before);
  CHECK(contains(last().body, "busy"));
  answerAll();
  // The publication expires after the restart too, exactly when it should.
  advance(109'999);
  CHECK(contains(last().body, "busy"));
  advance(1);
  CHECK(contains(last().body, "<basic>open</basic>"));
  CHECK_FALSE(contains(last().body, "busy"));
}

}  // namespace core::presence
