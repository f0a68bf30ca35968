// SPDX-License-Identifier: Apache-2.0
// Publications (RFC 3903) and registration-derived state.
#include <doctest/doctest.h>

#include "core-server/presence/service/service_testing.h"

namespace core::presence {
namespace {

using testing::pidf;
using testing::publishOf;

struct Fixture {
  proxy::ManualClock clock;
  testing::RecordingSink sink;
  MemoryPresenceStateStore store;
  PresenceOptions options;
  std::unique_ptr<PresenceService> service;

  Fixture() { service = std::make_unique<PresenceService>(clock, options, sink, &store); }
  void advance(int64_t ms) {
    clock.advanceMs(ms);
    service->runTimers();
  }
  const Presence& presenceOf(std::string_view aor) {
    const Presence* p = service->presence(aor);
    REQUIRE(p != nullptr);
    return *p;
  }
};

constexpr const char* kAlice = "alice@example.test";

}  // namespace

TEST_CASE_FIXTURE(Fixture, "publish: a new publication gets an ETag and shows") {
  std::string body = pidf("sip:alice@example.test", true, "busy", "in a call");
  PublishResult r = service->publish(publishOf(kAlice, body, 120));
  REQUIRE(r.status == 200);
  CHECK(r.etag.size() >= 8);
  CHECK(r.expires == 120);
  CHECK(presenceOf(kAlice).availability == kAvailabilityBusy);
  REQUIRE(presenceOf(kAlice).note);
  CHECK(presenceOf(kAlice).note->text == "in a call");
  CHECK(store.count(RecordKind::Publication) == 1);
}

TEST_CASE_FIXTURE(Fixture, "publish: refresh keeps the ETag, modify mints a new one") {
  PublishResult first = service->publish(publishOf(kAlice, pidf("sip:a", true), 60));
  REQUIRE(first.status == 200);
  advance(50'000);
  PublishResult refresh = service->publish(publishOf(kAlice, "", 60, first.etag));
  REQUIRE(refresh.status == 200);
  CHECK(refresh.etag == first.etag);
  advance(50'000);  // 100 s after the first publish, 50 s after the refresh: still there
  CHECK(presenceOf(kAlice).availability == kAvailabilityOnline);
  std::string busy = pidf("sip:a", true, "busy");
  PublishResult modify = service->publish(publishOf(kAlice, busy, 60, refresh.etag));
  REQUIRE(modify.status == 200);
  CHECK(modify.etag != first.etag);
  CHECK(presenceOf(kAlice).availability == kAvailabilityBusy);
  // The old entity-tag is gone for good.
  CHECK(service->publish(publishOf(kAlice, "", 60, first.etag)).status == 412);
  CHECK(store.count(RecordKind::Publication) == 1);
}

TEST_CASE_FIXTURE(Fixture, "publish: expiry is exact to the millisecond, then registration shows") {
  service->setRegistrations(kAlice, {{"sip:alice@192.0.2.1", ""}});
  CHECK(presenceOf(kAlice).availability == kAvailabilityOnline);
  PublishResult r = service->publish(publishOf(kAlice, pidf("sip:a", true, "busy"), 60));
  REQUIRE(r.status == 200);
  CHECK(presenceOf(kAlice).availability == kAvailabilityBusy);
  CHECK(service->nextDeadlineMs() == 60'000);
  advance(59'999);
  CHECK(presenceOf(kAlice).availability == kAvailabilityBusy);
  advance(1);
  CHECK(presenceOf(kAlice).availability == kAvailabilityOnline);
  CHECK(service->stats().publications_expired == 1);
  CHECK(store.count(RecordKind::Publication) == 0);
  // An expired entity-tag cannot be refreshed.
  CHECK(service->publish(publishOf(kAlice, "", 60, r.etag)).status == 412);
}

TEST_CASE_FIXTURE(Fixture, "publish: Expires 0 removes; unknown ETag 412; bad input") {
  PublishResult r = service->publish(publishOf(kAlice, pidf("sip:a", true, "away"), 60));
  REQUIRE(r.status == 200);
  PublishResult removed = service->publish(publishOf(kAlice, "", 0, r.etag));
  CHECK(removed.status == 200);
  CHECK(removed.expires == 0);
  CHECK(presenceOf(kAlice).availability == kAvailabilityOffline);  // seen, nothing live
  CHECK(service->publish(publishOf(kAlice, "", 0, r.etag)).status == 412);
  CHECK(service->publish(publishOf(kAlice, "", 60, "nonsense")).status == 412);

  PublishResult brief = service->publish(publishOf(kAlice, pidf("sip:a", true), 5));
  CHECK(brief.status == 423);
  CHECK(brief.min_expires == 60);
  CHECK(service->publish(publishOf(kAlice, "", 60)).status == 400);

  const std::string open_doc = pidf("sip:a", true);
  PublishRequest wrong_type = publishOf(kAlice, open_doc);
  wrong_type.content_type = "text/plain";
  CHECK(service->publish(wrong_type).status == 415);
  PublishRequest with_charset = publishOf(kAlice, open_doc);
  with_charset.content_type = "Application/PIDF+XML; charset=UTF-8";
  CHECK(service->publish(with_charset).status == 200);

  std::string laughs =
      "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\">"
      "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
      "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:a\">&b;</presence>";
  PublishResult hostile = service->publish(publishOf(kAlice, laughs));
  CHECK(hostile.status == 400);
  CHECK_FALSE(hostile.reason.empty());
  PublishResult broken = service->publish(publishOf(kAlice, "<presence"));
  CHECK(broken.status == 400);
  PublishResult huge = service->publish(publishOf(kAlice, std::string(70000, ' ')));
  CHECK(huge.status == 413);
  // Long expiries are shortened.
  PublishResult longer = service->publish(publishOf(kAlice, pidf("sip:a", true), 100000));
  CHECK(longer.expires == 3600);
}

TEST_CASE_FIXTURE(Fixture, "registration: online with a binding, offline without, unknown never") {
  CHECK(service->presence(kAlice) == nullptr);
  service->setRegistrations(kAlice, {{"sip:alice@192.0.2.1;transport=tcp", "<urn:uuid:1>"}});
  CHECK(presenceOf(kAlice).availability == kAvailabilityOnline);
  uint64_t seq = presenceOf(kAlice).sequence;
  service->setRegistrations(kAlice, {{"sip:alice@192.0.2.1;transport=tcp", "<urn:uuid:1>"}});
  CHECK(presenceOf(kAlice).sequence == seq);  // no change, no new sequence
  service->setRegistrations(kAlice, {});
  CHECK(presenceOf(kAlice).availability == kAvailabilityOffline);
  CHECK(presenceOf(kAlice).sequence == seq + 1);
}

TEST_CASE_FIXTURE(Fixture, "with a registration source, only watched presentities are kept") {
  std::vector<RegisteredContact> registered = {{"sip:alice@192.0.2.1;transport=tcp", ""}};
  service->setRegistrationSource([&](std::string_view aor) {
    return aor == kAlice ? registered : std::vector<RegisteredContact>{};
  });
  service->setRegistrations(kAlice, registered);
  CHECK_FALSE(service->tracks(kAlice));  // nobody looks: nothing kept
  CHECK(service->presence(kAlice) == nullptr);

  auto result = service->subscribe(testing::subscribeOf(kAlice, "bob@example.test"));
  REQUIRE(result.status == 200);
  CHECK(service->tracks(kAlice));
  CHECK(presenceOf(kAlice).availability == kAvailabilityOnline);  // from the source
  registered.clear();
  service->setRegistrations(kAlice, registered);  // now tracked: applied
  CHECK(presenceOf(kAlice).availability == kAvailabilityOffline);
}

TEST_CASE_FIXTURE(Fixture, "aggregation across two publishing endpoints") {
  PublishResult phone = service->publish(publishOf(kAlice, pidf("sip:a", true, "away"), 600));
  PublishResult desk = service->publish(publishOf(kAlice, pidf("sip:a", true, "busy"), 60));
  REQUIRE(phone.status == 200);
  REQUIRE(desk.status == 200);
  CHECK(presenceOf(kAlice).availability == kAvailabilityBusy);  // the more available one
  advance(60'000);
  CHECK(presenceOf(kAlice).availability == kAvailabilityAway);
  service->publish(publishOf(kAlice, "", 0, phone.etag));
  CHECK(presenceOf(kAlice).availability == kAvailabilityOffline);
}

TEST_CASE_FIXTURE(Fixture, "other sources: setSource, removeSource, user-level state") {
  EndpointPresence ms;
  ms.source_id = "epid-1";
  ms.availability = kAvailabilityAway;
  service->setSource(kAlice, ms, 0);
  CHECK(presenceOf(kAlice).availability == kAvailabilityAway);
  CHECK(store.count(RecordKind::Publication) == 0);  // no body: nothing to persist
  // A source id belongs to its presentity.
  service->setSource("bob@example.test", ms, 0);
  CHECK(service->presence("bob@example.test") == nullptr);
  service->editUserLevel(kAlice, [](PresentityState& s) {
    s.user_state = UserState{StateValue{kAvailabilityBusy, {}}, 0};
  });
  CHECK(presenceOf(kAlice).availability == kAvailabilityBusy);
  service->editUserLevel(kAlice, [](PresentityState& s) { s.user_state.reset(); });
  CHECK(presenceOf(kAlice).availability == kAvailabilityAway);
  CHECK(service->removeSource(kAlice, "epid-1"));
  CHECK_FALSE(service->removeSource(kAlice, "epid-1"));
  CHECK(presenceOf(kAlice).availability == kAvailabilityOffline);
}

TEST_CASE_FIXTURE(Fixture, "publication formats are pluggable, and persisted with their type") {
  service->addPublicationFormat(
      "application/x-test",
      [](std::string_view body, const XmlLimits&) -> proxy::Result<EndpointPresence> {
        if (body != "away") {
          return proxy::makeError(400, "Not Away");
        }
        EndpointPresence e;
        e.availability = kAvailabilityAway;
        return e;
      });
  const std::string away = "away";
  PublishRequest request = publishOf(kAlice, away);
  request.content_type = "application/x-test";
  PublishResult r = service->publish(request);
  REQUIRE(r.status == 200);
  CHECK(presenceOf(kAlice).availability == kAvailabilityAway);
  const std::string other = "other";
  request.body = other;
  PublishResult bad = service->publish(request);
  CHECK(bad.status == 400);
  CHECK(bad.reason == "Not Away");
  request.content_type = "text/plain";
  PublishResult unsupported = service->publish(request);
  CHECK(unsupported.status == 415);
  CHECK(unsupported.accept == "application/pidf+xml, application/x-test");
}

TEST_CASE_FIXTURE(Fixture, "publish: rapid modifies are written once per interval, latest wins") {
  PublishResult r = service->publish(publishOf(kAlice, pidf("sip:a", true), 600));
  REQUIRE(r.status == 200);
  const size_t first_writes = store.writes();
  std::string etag = r.etag;
  for (int i = 0; i < 5; ++i) {
    advance(100);
    PublishResult m = service->publish(
        publishOf(kAlice, pidf("sip:a", true, "busy", "n" + std::to_string(i)), 600, etag));
    REQUIRE(m.status == 200);
    etag = m.etag;
  }
  CHECK(store.writes() == first_writes);  // held back; watchers saw every change at once
  REQUIRE(presenceOf(kAlice).note);
  CHECK(presenceOf(kAlice).note->text == "n4");
  advance(499);
  CHECK(store.writes() == first_writes);
  advance(1);  // the interval since the first write is over: one erase, one save
  CHECK(store.writes() == first_writes + 2);
  std::vector<PresenceRecord> records = store.load();
  REQUIRE(records.size() == 1);
  CHECK(records[0].key == etag);
  CHECK(records[0].value.find("n4") != std::string::npos);
  // A removal is written at once, even while a modify is held back.
  advance(100);
  PublishResult held = service->publish(publishOf(kAlice, pidf("sip:a", true, "away"), 600, etag));
  REQUIRE(held.status == 200);
  CHECK(store.load()[0].key == etag);
  CHECK(service->publish(publishOf(kAlice, "", 0, held.etag)).status == 200);
  CHECK(store.count(RecordKind::Publication) == 0);
  advance(1000);
  CHECK(store.count(RecordKind::Publication) == 0);
}

TEST_CASE_FIXTURE(Fixture, "publish: a modified or refreshed publication expires at its new time") {
  PublishResult r = service->publish(publishOf(kAlice, pidf("sip:a", true, "busy"), 60));
  REQUIRE(r.status == 200);
  advance(10'000);
  PublishResult m = service->publish(publishOf(kAlice, pidf("sip:a", true, "away"), 60, r.etag));
  REQUIRE(m.status == 200);
  CHECK(service->nextDeadlineMs() == 60'000);  // one deadline per presentity, re-armed when due
  advance(50'000);                             // the first publication's time: nothing expires
  CHECK(presenceOf(kAlice).availability == kAvailabilityAway);
  CHECK(service->stats().publications_expired == 0);
  advance(5'000);
  CHECK(service->publish(publishOf(kAlice, "", 60, m.etag)).status == 200);  // refresh to 125 s
  advance(9'999);  // 74.999 s: the modify's own expiry would have been 70 s
  CHECK(presenceOf(kAlice).availability == kAvailabilityAway);
  advance(50'000);  // 124.999 s
  CHECK(presenceOf(kAlice).availability == kAvailabilityAway);
  advance(1);
  CHECK(presenceOf(kAlice).availability == kAvailabilityOffline);
  CHECK(service->stats().publications_expired == 1);
  CHECK(store.count(RecordKind::Publication) == 0);
}

TEST_CASE("publish: a clean shutdown writes the modify the interval held back") {
  proxy::ManualClock clock;
  testing::RecordingSink sink;
  MemoryPresenceStateStore store;
  std::string etag;
  {
    PresenceService service(clock, {}, sink, &store);
    PublishResult r = service.publish(publishOf(kAlice, pidf("sip:a", true), 120));
    REQUIRE(r.status == 200);
    PublishResult m = service.publish(publishOf(kAlice, pidf("sip:a", true, "busy"), 120, r.etag));
    REQUIRE(m.status == 200);
    etag = m.etag;
    CHECK(store.load()[0].key == r.etag);
  }
  std::vector<PresenceRecord> records = store.load();
  REQUIRE(records.size() == 1);
  CHECK(records[0].key == etag);
}

TEST_CASE("publish: persisted publications come back after a restart") {
  proxy::ManualClock clock;
  testing::RecordingSink sink;
  MemoryPresenceStateStore store;
  std::string etag;
  {
    PresenceService before(clock, {}, sink, &store);
    PublishResult r = before.publish(publishOf(kAlice, pidf("sip:a", true, "busy", "n"), 120));
    REQUIRE(r.status == 200);
    etag = r.etag;
  }
  clock.advanceMs(20'000);
  PresenceService after(clock, {}, sink, &store);
  after.load(store.load(), [](std::string_view aor) { return aor == kAlice; });
  REQUIRE(after.presence(kAlice) != nullptr);
  CHECK(after.presence(kAlice)->availability == kAvailabilityBusy);
  CHECK(after.publish(publishOf(kAlice, "", 120, etag)).status == 200);
  // Records of other shards are left alone.
  PresenceService other(clock, {}, sink, &store);
  other.load(store.load(), [](std::string_view) { return false; });
  CHECK(other.presence(kAlice) == nullptr);
}

}  // namespace core::presence
