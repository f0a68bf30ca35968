// SPDX-License-Identifier: Apache-2.0
// Every row of PROTOCOLS.md's normalisation map, through every dialect:
// PIDF -> canonical -> MS categories -> canonical -> PIDF, and the Graph JSON.
#include <doctest/doctest.h>

#include "core-server/presence/aggregation.h"
#include "core-server/presence/ms_mapping.h"
#include "core-server/presence/pidf_mapping.h"
#include "core-server/presence/presence_json.h"

namespace core::presence {
namespace {

constexpr int64_t kNow = 1'700'000'000;

// One source's view becomes the presentity's presence, as the service would do it.
Presence aggregateOne(EndpointPresence e) {
  e.source_id = "src";
  PresentityState s;
  s.ever_seen = true;
  s.endpoints.push_back(std::move(e));
  return aggregate(s, kNow);
}

Presence viaPidf(const std::string& pidf) {
  auto doc = parsePidf(pidf, XmlLimits{});
  REQUIRE_MESSAGE(doc.ok(), (doc.ok() ? "" : doc.error().detail));
  return aggregateOne(endpointFromPidf(*doc));
}

Presence viaMs(const Presence& p) {
  MsRenderOptions options;
  options.container = kContainerPersonal;
  auto doc = parseCategories(renderCategories(p, "sip:bob@example.com", options), XmlLimits{});
  REQUIRE_MESSAGE(doc.ok(), (doc.ok() ? "" : doc.error().detail));
  return aggregateOne(endpointFromCategories(*doc));
}

// The parts of the model the normalisation map is about.
void checkSameState(const Presence& got, const Presence& want) {
  CHECK(got.availability == want.availability);
  CHECK(got.activity.token == want.activity.token);
  CHECK(got.activity.custom == want.activity.custom);
  CHECK(got.idle() == want.idle());
  CHECK(got.note == want.note);
}

struct CanonicalRow {
  Availability availability;
  const char* token;
  NoteType note_type;
  // Expected PIDF: basic, RPID tokens, idle; expected Graph pair.
  bool open;
  std::vector<std::string> rpid;
  bool idle;
  const char* graph_availability;
  const char* graph_activity;
};

const CanonicalRow kCanonicalRows[] = {
    {3500, "", NoteType::Personal, true, {}, false, "Available", "Available"},
    {4500, "", NoteType::Personal, true, {}, true, "AvailableIdle", "Inactive"},
    {6500, "", NoteType::Personal, true, {"busy"}, false, "Busy", "Busy"},
    {6500, "on-the-phone", NoteType::Personal, true, {"on-the-phone"}, false, "Busy", "InACall"},
    {6500,
     "in-a-conference",
     NoteType::Personal,
     true,
     {"on-the-phone"},
     false,
     "Busy",
     "InAConferenceCall"},
    {6500, "in-a-meeting", NoteType::Personal, true, {"meeting"}, false, "Busy", "InAMeeting"},
    {7500, "", NoteType::Personal, true, {"busy"}, true, "BusyIdle", "Busy"},
    {6900,
     "urgent-interruptions-only",
     NoteType::Personal,
     true,
     {"busy"},
     false,
     "DoNotDisturb",
     "UrgentInterruptionsOnly"},
    {9500, "", NoteType::Personal, true, {"busy"}, false, "DoNotDisturb", "DoNotDisturb"},
    {9500,
     "in-presentation",
     NoteType::Personal,
     true,
     {"busy"},
     false,
     "DoNotDisturb",
     "Presenting"},
    {12500, "", NoteType::Personal, true, {"away"}, false, "BeRightBack", "BeRightBack"},
    {15500, "", NoteType::Personal, true, {"away"}, false, "Away", "Away"},
    {15500, "out-to-lunch", NoteType::Personal, true, {"meal"}, false, "Away", "Away"},
    {3500,
     "out-of-office",
     NoteType::OutOfOffice,
     true,
     {"vacation"},
     false,
     "Available",
     "OutOfOffice"},
    {15500,
     "out-of-office",
     NoteType::OutOfOffice,
     true,
     {"vacation"},
     false,
     "Away",
     "OutOfOffice"},
    {18500, "", NoteType::Personal, false, {}, false, "Offline", "Offline"},
    {0, "", NoteType::Personal, false, {"unknown"}, false, "PresenceUnknown", "PresenceUnknown"},
};

TEST_CASE("canonical rows: PIDF -> canonical -> MS -> canonical -> PIDF is lossless") {
  for (const CanonicalRow& r : kCanonicalRows) {
    CAPTURE(r.availability);
    CAPTURE(r.token);
    Presence start;
    start.availability = r.availability;
    start.activity.token = r.token;
    start.note = Note{"note for " + std::to_string(r.availability), "en", r.note_type};

    const std::string pidf = renderPidf(start, "sip:bob@example.com");
    auto doc = parsePidf(pidf, XmlLimits{});
    REQUIRE(doc);
    CHECK(doc->tuples[0].basic_open == r.open);
    const auto& acts = doc->persons[0].activities;
    CHECK((acts ? acts->tokens : std::vector<std::string>{}) == r.rpid);
    CHECK(doc->persons[0].user_input.has_value() == r.idle);

    const Presence from_pidf = viaPidf(pidf);
    checkSameState(from_pidf, start);
    const Presence from_ms = viaMs(from_pidf);
    checkSameState(from_ms, start);
    CHECK(renderPidf(from_ms, "sip:bob@example.com") == pidf);

    CHECK(graphAvailability(from_ms) == r.graph_availability);
    CHECK(graphActivity(from_ms) == r.graph_activity);
    const auto graph = stateFromGraph(r.graph_availability, r.graph_activity);
    REQUIRE(graph);
    CHECK(bandOf(graph->availability) == bandOf(r.availability));
  }
}

TEST_CASE("appear offline reaches every watcher dialect as plain offline") {
  PresentityState s;
  EndpointPresence e;
  e.source_id = "a";
  e.availability = 3500;
  s.endpoints.push_back(e);
  s.user_state = UserState{StateValue{18500, {}}, 0};
  const Presence watcher = watcherView(aggregate(s, kNow));
  auto doc = parsePidf(renderPidf(watcher, "sip:bob@example.com"), XmlLimits{});
  REQUIRE(doc);
  CHECK(doc->tuples[0].basic_open == false);
  CHECK(viaMs(watcher).availability == 18500);
  CHECK(graphAvailability(watcher) == "Offline");
  CHECK(graphActivity(watcher) == "Offline");
}

// A foreign SIMPLE client's document: what it sends and what it gets back.
struct ForeignRow {
  const char* basic;
  std::vector<std::string> rpid_in;
  bool idle_in;
  Availability availability;  // canonical
  const char* token;
  NoteType note_type;
  std::vector<std::string> rpid_out;  // what watchers' PIDF shows after the MS detour
};

const ForeignRow kForeignRows[] = {
    {"open", {}, false, 3500, "", NoteType::Personal, {}},
    {"open", {}, true, 4500, "", NoteType::Personal, {}},
    {"open", {"busy"}, false, 6500, "", NoteType::Personal, {"busy"}},
    {"open", {"busy"}, true, 7500, "", NoteType::Personal, {"busy"}},
    {"open", {"on-the-phone"}, false, 6500, "on-the-phone", NoteType::Personal, {"on-the-phone"}},
    {"open", {"meeting"}, false, 6500, "in-a-meeting", NoteType::Personal, {"meeting"}},
    {"open", {"presentation"}, false, 6500, "in-presentation", NoteType::Personal, {"busy"}},
    {"open", {"dnd"}, false, 9500, "", NoteType::Personal, {"busy"}},
    {"open", {"away"}, false, 15500, "", NoteType::Personal, {"away"}},
    {"open", {"meal"}, false, 15500, "out-to-lunch", NoteType::Personal, {"meal"}},
    {"open", {"lunch"}, false, 15500, "out-to-lunch", NoteType::Personal, {"meal"}},
    {"open", {"vacation"}, false, 15500, "out-of-office", NoteType::OutOfOffice, {"vacation"}},
    {"open", {"sleeping"}, false, 15500, "sleeping", NoteType::Personal, {"sleeping"}},
    {"open", {"travel"}, false, 15500, "travel", NoteType::Personal, {"travel"}},
    {"closed", {}, false, 18500, "", NoteType::Personal, {}},
    {"closed", {"unknown"}, false, 0, "", NoteType::Personal, {"unknown"}},
};

std::string foreignDocument(const ForeignRow& r) {
  std::string xml =
      R"(<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model")"
      R"( xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:carol@example.net">)"
      R"(<tuple id="c1"><status><basic>)" +
      std::string(r.basic) + R"(</basic></status></tuple><dm:person id="cp">)";
  if (!r.rpid_in.empty()) {
    xml += "<rpid:activities>";
    for (const std::string& t : r.rpid_in) {
      xml += "<rpid:" + t + "/>";
    }
    xml += "</rpid:activities>";
  }
  if (r.idle_in) {
    xml += "<rpid:user-input>idle</rpid:user-input>";
  }
  xml += "<dm:note>Carol's note</dm:note></dm:person></presence>";
  return xml;
}

TEST_CASE("foreign rows: a SIMPLE client's PIDF through MS and back") {
  for (const ForeignRow& r : kForeignRows) {
    CAPTURE(foreignDocument(r));
    const Presence canonical = viaPidf(foreignDocument(r));
    Presence want;
    want.availability = r.availability;
    want.activity.token = r.token;
    want.note = Note{"Carol's note", "", r.note_type};
    checkSameState(canonical, want);

    const Presence back = viaMs(canonical);
    checkSameState(back, want);

    PidfRenderOptions plain;
    plain.ocs_extension = false;  // what a foreign watcher reads is the RPID alone
    auto out = parsePidf(renderPidf(back, "sip:carol@example.net", plain), XmlLimits{});
    REQUIRE(out);
    CHECK(out->tuples[0].basic_open == (std::string_view(r.basic) == "open"));
    const auto& acts = out->persons[0].activities;
    CHECK((acts ? acts->tokens : std::vector<std::string>{}) == r.rpid_out);
    CHECK(out->persons[0].user_input.has_value() == r.idle_in);
    CHECK(out->persons[0].notes == std::vector<PidfNote>{{"Carol's note", ""}});
    // And the plain document still maps back to the same canonical state,
    // except where RPID has no word for it (presentation, dnd).
    if (r.rpid_in == r.rpid_out || r.rpid_in == std::vector<std::string>{"lunch"}) {
      checkSameState(aggregateOne(endpointFromPidf(*out)), want);
    }
  }
}

TEST_CASE("unknown extensions survive PIDF publication to PIDF watchers") {
  const std::string in =
      R"(<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model")"
      R"( xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" xmlns:geo="urn:ietf:params:xml:ns:pidf:geopriv10")"
      R"( xmlns:c="urn:ietf:params:xml:ns:pidf:caps" entity="sip:dave@example.org">)"
      R"(<tuple id="d1"><status><basic>open</basic><geo:geopriv><geo:method>GPS</geo:method></geo:geopriv></status>)"
      R"(<c:servcaps><c:audio>true</c:audio></c:servcaps><contact>sip:dave@192.0.2.9</contact></tuple>)"
      R"(<dm:person id="p"><rpid:mood><rpid:happy/></rpid:mood></dm:person></presence>)";
  const Presence p = viaPidf(in);
  REQUIRE(p.pidf_extensions.size() == 3);
  auto out = parsePidf(renderPidf(p, "sip:dave@example.org"), XmlLimits{});
  REQUIRE(out);
  CHECK(
      out->tuples[0].status_extensions ==
      std::vector<std::string>{R"(<geo:geopriv xmlns:geo="urn:ietf:params:xml:ns:pidf:geopriv10">)"
                               R"(<geo:method>GPS</geo:method></geo:geopriv>)"});
  CHECK(out->tuples[0].extensions ==
        std::vector<std::string>{R"(<c:servcaps xmlns:c="urn:ietf:params:xml:ns:pidf:caps">)"
                                 R"(<c:audio>true</c:audio></c:servcaps>)"});
  CHECK(out->persons[0].extensions ==
        std::vector<std::string>{R"(<rpid:mood xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid">)"
                                 R"(<rpid:happy/></rpid:mood>)"});
  CHECK(out->tuples[0].contact == "sip:dave@192.0.2.9");
  PidfRenderOptions no_passthrough;
  no_passthrough.passthrough = false;
  auto bare = parsePidf(renderPidf(p, "sip:dave@example.org", no_passthrough), XmlLimits{});
  REQUIRE(bare);
  CHECK(bare->persons[0].extensions.empty());
}

TEST_CASE("MS passthrough categories survive a SERVICE publish to MS watchers") {
  PresentityState s;
  EndpointPresence e;
  e.source_id = "epid";
  e.availability = 3500;
  s.endpoints.push_back(e);
  s.ms_categories.push_back(MsCategoryInstance{
      "calendarData", 1073741825, 300, 2, 0,
      R"(<calendarData xmlns="http://schemas.microsoft.com/2006/09/sip/calendarData" mailboxID="a@b">)"
      R"(<freeBusy startTime="2010-09-14T00:00:00Z" granularity="PT15M" encodingVersion="1">AAAA</freeBusy>)"
      R"(</calendarData>)"});
  MsRenderOptions options;
  options.container = kContainerTeam;
  auto doc = parseCategories(renderCategories(aggregate(s, kNow), "sip:a@b", options), XmlLimits{});
  REQUIRE(doc);
  const CategoryPublication& cal = doc->categories.back();
  CHECK(cal.name == "calendarData");
  CHECK(cal.instance == 1073741825);
  CHECK(cal.container == 300);
  CHECK(cal.version == 2);
  CHECK(cal.xml == s.ms_categories[0].xml);
}

}  // namespace
}  // namespace core::presence
