// SPDX-License-Identifier: Apache-2.0
// One table row per aggregation rule (aggregation.h A1..A10).
#include "core-server/presence/aggregation.h"
#include "core-server/presence/model_testing.h"

#include <doctest/doctest.h>

#include <algorithm>

namespace core::presence {
namespace {

using namespace testing;

constexpr int64_t kNow = 1'700'000'000;

EndpointPresence ep(std::string id, Availability a, std::string token = "") {
  EndpointPresence e;
  e.source_id = std::move(id);
  e.availability = a;
  e.activity.token = std::move(token);
  e.published_at = kNow - 10;
  e.device.endpoint_id = e.source_id;
  e.device.contact = "sip:alice@" + e.source_id;
  return e;
}

EndpointPresence withPhone(EndpointPresence e, Availability a, std::string token) {
  e.phone = StateValue{a, activity(std::move(token))};
  return e;
}

EndpointPresence withCalendar(EndpointPresence e, FreeBusy state, int64_t start = 0,
                              int64_t end = 0) {
  CalendarState c;
  c.state = state;
  c.meeting_subject = "Planning";
  c.start = start;
  c.end = end;
  e.calendar = c;
  return e;
}

std::optional<UserState> manual(Availability a, std::string token = "", int64_t expires_at = 0) {
  return UserState{StateValue{a, activity(std::move(token))}, expires_at};
}

struct Row {
  const char* name;
  std::optional<UserState> user;
  std::vector<EndpointPresence> endpoints;
  bool ever_seen;
  Availability availability;
  const char* token;
  AggregateSource source;
};

void checkRow(const Row& r) {
  CAPTURE(r.name);
  PresentityState s;
  s.user_state = r.user;
  s.endpoints = r.endpoints;
  s.ever_seen = r.ever_seen;
  const Presence p = aggregate(s, kNow);
  CHECK(p.availability == r.availability);
  CHECK(p.activity.token == r.token);
  CHECK(p.source == r.source);
  // Deterministic: every order of the endpoints gives the same presence.
  std::sort(s.endpoints.begin(), s.endpoints.end(),
            [](const auto& a, const auto& b) { return a.source_id < b.source_id; });
  do {
    CHECK(aggregate(s, kNow) == p);
  } while (std::next_permutation(
      s.endpoints.begin(), s.endpoints.end(),
      [](const auto& a, const auto& b) { return a.source_id < b.source_id; }));
}

TEST_CASE("aggregation rules A1-A8, one row each") {
  using S = AggregateSource;
  EndpointPresence expired = ep("z-old", 3500);
  expired.expires_at = kNow;  // A1: expires_at <= now is gone
  EndpointPresence fresh_active = ep("b", 3500);
  fresh_active.last_active = kNow - 5;
  EndpointPresence stale_active = ep("a", 3500);
  stale_active.last_active = kNow - 500;

  const Row rows[] = {
      // A2
      {"never seen", {}, {}, false, 0, "", S::NeverSeen},
      {"seen, nothing live", {}, {}, true, 18500, "", S::NoEndpoints},
      {"only expired endpoints", {}, {expired}, false, 18500, "", S::NoEndpoints},
      {"manual state needs a live endpoint",
       manual(6500),
       {expired},
       true,
       18500,
       "",
       S::NoEndpoints},
      // A3
      {"single endpoint", {}, {ep("a", 3500)}, true, 3500, "", S::Endpoint},
      {"most available endpoint wins",
       {},
       {ep("a", 15500), ep("b", 3500)},
       true,
       3500,
       "",
       S::Endpoint},
      {"active beats idle", {}, {ep("a", 4500), ep("b", 3500)}, true, 3500, "", S::Endpoint},
      {"idle beats away", {}, {ep("a", 15500), ep("b", 4500)}, true, 4500, "", S::Endpoint},
      {"known state beats no state",
       {},
       {ep("a", 0), ep("b", 15500)},
       true,
       15500,
       "",
       S::Endpoint},
      {"no state anywhere", {}, {ep("a", 0)}, true, 0, "", S::Endpoint},
      {"expired endpoint ignored", {}, {expired, ep("a", 15500)}, true, 15500, "", S::Endpoint},
      {"endpoint token kept",
       {},
       {ep("a", 6500, "on-the-phone")},
       true,
       6500,
       "on-the-phone",
       S::Endpoint},
      {"generic token normalised", {}, {ep("a", 6500, "busy")}, true, 6500, "", S::Endpoint},
      {"unknown token kept",
       {},
       {ep("a", 15500, "sleeping")},
       true,
       15500,
       "sleeping",
       S::Endpoint},
      // A4
      {"manual beats machine", manual(6500), {ep("a", 3500)}, true, 6500, "", S::UserState},
      {"manual away beats active", manual(15500), {ep("a", 3500)}, true, 15500, "", S::UserState},
      {"manual available with idle machine",
       manual(3500),
       {ep("a", 4500)},
       true,
       4500,
       "",
       S::UserState},
      {"manual busy with idle machine",
       manual(6500),
       {ep("a", 4500)},
       true,
       7500,
       "",
       S::UserState},
      {"manual DND ignores idle", manual(9500), {ep("a", 4500)}, true, 9500, "", S::UserState},
      {"manual available, machine away: not lowered",
       manual(3500),
       {ep("a", 15500)},
       true,
       3500,
       "",
       S::UserState},
      {"manual beats phone",
       manual(12500),
       {withPhone(ep("a", 3500), 6500, "on-the-phone")},
       true,
       12500,
       "",
       S::UserState},
      {"manual beats calendar",
       manual(3500),
       {withCalendar(ep("a", 3500), FreeBusy::Busy)},
       true,
       3500,
       "",
       S::UserState},
      {"manual token kept",
       manual(6900, "urgent-interruptions-only"),
       {ep("a", 3500)},
       true,
       6900,
       "urgent-interruptions-only",
       S::UserState},
      {"expired manual state ignored",
       manual(9500, "", kNow),
       {ep("a", 3500)},
       true,
       3500,
       "",
       S::Endpoint},
      {"time-bounded manual state live",
       manual(9500, "", kNow + 60),
       {ep("a", 3500)},
       true,
       9500,
       "",
       S::UserState},
      {"appear offline", manual(18500), {ep("a", 3500)}, true, 18500, "", S::AppearOffline},
      {"invisible token",
       manual(3500, "invisible"),
       {ep("a", 3500)},
       true,
       18500,
       "",
       S::AppearOffline},
      // A5
      {"phone raises available",
       {},
       {withPhone(ep("a", 3500), 6500, "on-the-phone")},
       true,
       6500,
       "on-the-phone",
       S::Phone},
      {"phone on another endpoint",
       {},
       {ep("a", 3500), withPhone(ep("b", 15500), 6500, "on-the-phone")},
       true,
       6500,
       "on-the-phone",
       S::Phone},
      {"phone beats away",
       {},
       {withPhone(ep("a", 15500), 6500, "on-the-phone")},
       true,
       6500,
       "on-the-phone",
       S::Phone},
      {"phone beats idle",
       {},
       {withPhone(ep("a", 4500), 6500, "on-the-phone")},
       true,
       6500,
       "on-the-phone",
       S::Phone},
      {"conference beats call",
       {},
       {withPhone(ep("a", 3500), 6500, "on-the-phone"),
        withPhone(ep("b", 3500), 6700, "in-a-conference")},
       true,
       6700,
       "in-a-conference",
       S::Phone},
      {"phone does not lower DND",
       {},
       {withPhone(ep("a", 9500), 6500, "on-the-phone")},
       true,
       9500,
       "",
       S::Endpoint},
      {"phone beats meeting",
       {},
       {withCalendar(withPhone(ep("a", 3500), 6500, "on-the-phone"), FreeBusy::Busy)},
       true,
       6500,
       "on-the-phone",
       S::Phone},
      {"phone without token",
       {},
       {withPhone(ep("a", 3500), 6500, "")},
       true,
       6500,
       "on-the-phone",
       S::Phone},
      // A6
      {"meeting raises available",
       {},
       {withCalendar(ep("a", 3500), FreeBusy::Busy)},
       true,
       6500,
       "in-a-meeting",
       S::Calendar},
      {"meeting raises idle to busy-idle",
       {},
       {withCalendar(ep("a", 4500), FreeBusy::Busy)},
       true,
       7500,
       "in-a-meeting",
       S::Calendar},
      {"meeting names a plain busy",
       {},
       {withCalendar(ep("a", 6500), FreeBusy::Busy)},
       true,
       6500,
       "in-a-meeting",
       S::Calendar},
      {"meeting keeps a specific busy",
       {},
       {withCalendar(ep("a", 6500, "in-presentation"), FreeBusy::Busy)},
       true,
       6500,
       "in-presentation",
       S::Endpoint},
      {"meeting does not touch away",
       {},
       {withCalendar(ep("a", 15500), FreeBusy::Busy)},
       true,
       15500,
       "",
       S::Endpoint},
      {"meeting from another endpoint",
       {},
       {ep("a", 3500), withCalendar(ep("b", 15500), FreeBusy::Busy)},
       true,
       6500,
       "in-a-meeting",
       S::Calendar},
      {"future meeting not yet",
       {},
       {withCalendar(ep("a", 3500), FreeBusy::Busy, kNow + 600, kNow + 3600)},
       true,
       3500,
       "",
       S::Endpoint},
      {"past meeting over",
       {},
       {withCalendar(ep("a", 3500), FreeBusy::Busy, kNow - 3600, kNow)},
       true,
       3500,
       "",
       S::Endpoint},
      {"tentative changes nothing",
       {},
       {withCalendar(ep("a", 3500), FreeBusy::Tentative)},
       true,
       3500,
       "",
       S::Endpoint},
      {"free changes nothing",
       {},
       {withCalendar(ep("a", 3500), FreeBusy::Free)},
       true,
       3500,
       "",
       S::Endpoint},
      // A7
      {"OOF overlay keeps availability",
       {},
       {withCalendar(ep("a", 3500), FreeBusy::OutOfOffice)},
       true,
       3500,
       "out-of-office",
       S::Endpoint},
      {"OOF overlay on manual state",
       manual(15500),
       {withCalendar(ep("a", 3500), FreeBusy::OutOfOffice)},
       true,
       15500,
       "out-of-office",
       S::UserState},
      {"OOF does not hide a call",
       {},
       {withCalendar(withPhone(ep("a", 3500), 6500, "on-the-phone"), FreeBusy::OutOfOffice)},
       true,
       6500,
       "on-the-phone",
       S::Phone},
  };
  for (const Row& r : rows) {
    checkRow(r);
  }
  // A3 tie-break: equal states, the latest last_active decides the contact.
  PresentityState s;
  s.endpoints = {stale_active, fresh_active};
  CHECK(aggregate(s, kNow).contact == "sip:alice@b");
  s.endpoints[1].last_active = 0;
  CHECK(aggregate(s, kNow).contact == "sip:alice@a");
}

TEST_CASE("A8: an activity outside its availability range is dropped") {
  PresentityState s;
  EndpointPresence e = ep("a", 3500, "in-a-meeting");
  e.activity.min_availability = 6500;
  e.activity.max_availability = 8999;
  s.endpoints = {e};
  Presence p = aggregate(s, kNow);
  CHECK(p.activity.empty());
  s.endpoints[0].availability = 7000;
  p = aggregate(s, kNow);
  CHECK(p.activity.token == "in-a-meeting");
  CHECK(p.activity.min_availability == 0);  // ranges never leave aggregation
  CHECK(p.activity.max_availability == 0);
}

TEST_CASE("A9: which note shows") {
  PresentityState s;
  EndpointPresence a = ep("a", 3500);
  a.note = Note{"from a", "", NoteType::Personal};
  a.published_at = kNow - 100;
  EndpointPresence b = ep("b", 3500);
  b.note = Note{"from b", "", NoteType::Personal};
  b.published_at = kNow - 50;
  s.endpoints = {a, b};
  CHECK(aggregate(s, kNow).note->text == "from b");  // newest endpoint note

  s.personal_note = note("user note");
  CHECK(aggregate(s, kNow).note->text == "user note");

  s.endpoints[0].note = Note{"on holiday", "", NoteType::OutOfOffice};
  CHECK(aggregate(s, kNow).note->text == "on holiday");  // endpoint OOF beats personal

  s.oof_note = Note{"user OOF", "", NoteType::OutOfOffice};
  CHECK(aggregate(s, kNow).note->text == "user OOF");

  s.oof_note->end = kNow;  // OOF window over
  s.endpoints[0].note.reset();
  CHECK(aggregate(s, kNow).note->text == "user note");

  s.personal_note->text.clear();  // an empty note is no note
  CHECK(aggregate(s, kNow).note->text == "from b");

  s.endpoints.clear();
  s.ever_seen = true;
  s.personal_note = note("gone fishing");
  const Presence offline = aggregate(s, kNow);
  CHECK(offline.availability == 18500);
  CHECK(offline.note->text == "gone fishing");  // notes show while offline
}

TEST_CASE("A10: devices, capabilities, last_active and passthrough") {
  PresentityState s;
  EndpointPresence a = ep("b-phone", 3500);
  a.device.caps.voice = true;
  a.device.caps.im = false;
  a.last_active = kNow - 30;
  a.pidf_extensions = {{PidfPlace::Person, "<x:a xmlns:x='urn:x'/>"}};
  a.ms_categories = {MsCategoryInstance{"calendarData", 1, 300, 2, 0, "<c/>"}};
  EndpointPresence b = ep("a-laptop", 3500);
  b.device.caps.im = true;
  b.last_active = kNow - 10;
  b.pidf_extensions = {{PidfPlace::Tuple, "<x:b xmlns:x='urn:x'/>"}};
  EndpointPresence gone = ep("c-gone", 3500);
  gone.expires_at = kNow - 1;
  gone.device.caps.video = true;
  s.endpoints = {a, gone, b};
  s.ms_categories = {MsCategoryInstance{"contactCard", 0, 200, 1, 0, "<card/>"}};

  const Presence p = aggregate(s, kNow);
  REQUIRE(p.devices.size() == 2);
  CHECK(p.devices[0].endpoint_id == "a-laptop");
  CHECK(p.devices[1].endpoint_id == "b-phone");
  CHECK(p.caps.im == true);
  CHECK(p.caps.voice == true);
  CHECK_FALSE(p.caps.video.has_value());  // only the expired endpoint had video
  CHECK(p.last_active == kNow - 10);
  REQUIRE(p.pidf_extensions.size() == 2);
  CHECK(p.pidf_extensions[0].xml == "<x:b xmlns:x='urn:x'/>");
  REQUIRE(p.ms_categories.size() == 2);
  CHECK(p.ms_categories[0].name == "contactCard");
  CHECK(p.ms_categories[1].name == "calendarData");
}

TEST_CASE("appear offline: watchers see plain offline, the note stays") {
  PresentityState s;
  EndpointPresence a = ep("a", 3500);
  a.pidf_extensions = {{PidfPlace::Person, "<x/>"}};
  a.ms_categories = {MsCategoryInstance{"calendarData", 1, 300, 2, 0, "<c/>"}};
  a.calendar = CalendarState{FreeBusy::Busy, "Secret meeting", "Room 1", 0, 0};
  s.endpoints = {a};
  s.user_state = manual(18500);
  s.personal_note = note("hello");
  s.ms_categories = {MsCategoryInstance{"contactCard", 0, 200, 1, 0, "<card/>"}};
  Presence p = aggregate(s, kNow);
  p.sequence = 9;
  CHECK(p.appear_offline);
  CHECK(p.availability == 18500);
  CHECK(p.pidf_extensions.empty());
  CHECK(p.ms_categories.size() == 1);  // only the user-level card

  const Presence w = watcherView(p);
  CHECK(w.availability == 18500);
  CHECK_FALSE(w.appear_offline);
  CHECK(w.activity.empty());
  CHECK(w.devices.empty());
  CHECK_FALSE(w.calendar);
  CHECK(w.contact.empty());
  CHECK(w.note->text == "hello");
  CHECK(w.sequence == 9);
  // Someone visible is passed through unchanged.
  s.user_state.reset();
  const Presence visible = aggregate(s, kNow);
  CHECK(watcherView(visible) == visible);
}

}  // namespace
}  // namespace core::presence
