// SPDX-License-Identifier: Apache-2.0
// PIDF/RPID <-> canonical, table by table (MAPPING.md).
#include "core-server/presence/pidf_mapping.h"

#include <doctest/doctest.h>

#include "core-server/presence/namespaces.h"
#include "core-server/presence/rpid_activities.h"

namespace core::presence {
namespace {

// A foreign PIDF (no Confab extension): basic + person activities + user-input.
std::string foreignPidf(std::string_view basic, std::string_view activities,
                        std::string_view extra_person = "", std::string_view tuple_note = "") {
  std::string xml =
      R"(<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model")"
      R"( xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:bob@example.com">)";
  xml += R"(<tuple id="t1"><status><basic>)" + std::string(basic) + "</basic></status>";
  xml += "<contact>sip:bob@192.0.2.7</contact>";
  if (!tuple_note.empty()) {
    xml += "<note>" + std::string(tuple_note) + "</note>";
  }
  xml += R"(</tuple><dm:person id="p1">)";
  if (!activities.empty()) {
    xml += "<rpid:activities>" + std::string(activities) + "</rpid:activities>";
  }
  xml += std::string(extra_person) + "</dm:person></presence>";
  return xml;
}

EndpointPresence fromXml(const std::string& xml) {
  auto doc = parsePidf(xml, XmlLimits{});
  REQUIRE_MESSAGE(doc.ok(), (doc.ok() ? "" : doc.error().detail));
  return endpointFromPidf(*doc);
}

TEST_CASE("reverse map: foreign PIDF/RPID -> OCS availability and token") {
  struct Row {
    const char* basic;
    const char* activities;
    Availability availability;
    const char* token;
  };
  // PROTOCOLS.md: closed -> 18500; open + nothing -> 3500; busy|on-the-phone|
  // meeting|performance|presentation -> 6500; away|lunch|vacation|sleeping|travel|
  // steering -> 15500.
  const Row rows[] = {
      {"closed", "", 18500, ""},
      {"closed", "<rpid:away/>", 18500, ""},
      {"closed", "<rpid:unknown/>", 0, ""},
      {"open", "", 3500, ""},
      {"open", "<rpid:unknown/>", 3500, ""},
      {"open", "<rpid:busy/>", 6500, ""},
      {"open", "<rpid:on-the-phone/>", 6500, "on-the-phone"},
      {"open", "<rpid:meeting/>", 6500, "in-a-meeting"},
      {"open", "<rpid:appointment/>", 6500, "in-a-meeting"},
      {"open", "<rpid:performance/>", 6500, "in-presentation"},
      {"open", "<rpid:presentation/>", 6500, "in-presentation"},
      {"open", "<rpid:away/>", 15500, ""},
      {"open", "<rpid:meal/>", 15500, "out-to-lunch"},
      {"open", "<rpid:lunch/>", 15500, "out-to-lunch"},
      {"open", "<rpid:vacation/>", 15500, "out-of-office"},
      {"open", "<rpid:holiday/>", 15500, "out-of-office"},
      {"open", "<rpid:sleeping/>", 15500, "sleeping"},
      {"open", "<rpid:travel/>", 15500, "travel"},
      {"open", "<rpid:steering/>", 15500, "steering"},
      {"open", "<rpid:dnd/>", 9500, ""},             // non-standard, seen in the wild
      {"open", "<rpid:working/>", 3500, "working"},  // unmapped: kept verbatim
      {"open", "<x:coding xmlns:x='urn:x'/>", 3500, "coding"},
      // Several activities: the least available wins, a specific token beats a generic one.
      {"open", "<rpid:busy/><rpid:on-the-phone/>", 6500, "on-the-phone"},
      {"open", "<rpid:on-the-phone/><rpid:busy/>", 6500, "on-the-phone"},
      {"open", "<rpid:working/><rpid:away/>", 15500, ""},
  };
  for (const Row& r : rows) {
    CAPTURE(r.basic);
    CAPTURE(r.activities);
    const EndpointPresence e = fromXml(foreignPidf(r.basic, r.activities));
    CHECK(e.availability == r.availability);
    CHECK(e.activity.token == r.token);
    CHECK(e.dialect == Dialect::Pidf);
  }
}

TEST_CASE("the token vocabulary on its own") {
  CHECK(isRpidActivity("worship"));
  CHECK(isRpidActivity("unknown"));
  CHECK_FALSE(isRpidActivity("lunch"));  // not in RFC 4480
  CHECK_FALSE(isRpidActivity("dnd"));
  CHECK(stateForRpidToken("in-transit").availability == 15500);
  CHECK(rpidForState(6500, "in-a-hackathon").token_mapped == false);
  CHECK(rpidForState(6500, "in-a-hackathon").tokens == std::vector<std::string>{"busy"});
  CHECK(rpidForState(3500, "online").tokens.empty());
  CHECK(rpidForState(18500, "on-the-phone").tokens.empty());
  CHECK(rpidForState(0, "on-the-phone").tokens == std::vector<std::string>{"unknown"});
}

TEST_CASE("user-input idle moves into the idle sub-range and sets last_active") {
  const std::string idle =
      R"(<rpid:user-input last-input="2004-10-21T13:20:00.000-05:00">idle</rpid:user-input>)";
  EndpointPresence e = fromXml(foreignPidf("open", "", idle));
  CHECK(e.availability == 4500);
  CHECK(e.last_active == 1098382800);
  e = fromXml(foreignPidf("open", "<rpid:busy/>", idle));
  CHECK(e.availability == 7500);
  e = fromXml(foreignPidf("open", "<rpid:away/>", idle));
  CHECK(e.availability == 15500);  // already away: idle adds nothing
  e = fromXml(foreignPidf("open", "", "<rpid:user-input>active</rpid:user-input>"));
  CHECK(e.availability == 3500);
}

TEST_CASE("notes: person first, then tuple, then presence; vacation makes them OOF") {
  EndpointPresence e =
      fromXml(foreignPidf("open", "", "<dm:note>person note</dm:note>", "tuple note"));
  REQUIRE(e.note);
  CHECK(e.note->text == "person note");
  CHECK(e.note->type == NoteType::Personal);
  e = fromXml(foreignPidf("open", "", "", "tuple note"));
  CHECK(e.note->text == "tuple note");
  e = fromXml(foreignPidf("open", "", "<rpid:note>rpid in person</rpid:note>"));
  CHECK(e.note->text == "rpid in person");
  e = fromXml(foreignPidf("open", "<rpid:vacation/>", "<dm:note>Back on Monday</dm:note>"));
  CHECK(e.note->type == NoteType::OutOfOffice);
  CHECK(e.availability == 15500);
  CHECK(e.activity.token == "out-of-office");
  // An activity description is not the user's note.
  e = fromXml(foreignPidf("open", "<rpid:note>Far away</rpid:note><rpid:away/>"));
  CHECK_FALSE(e.note);
}

TEST_CASE("rpid:other becomes custom activity text") {
  const EndpointPresence e =
      fromXml(foreignPidf("open", "<rpid:other>Writing a novel</rpid:other>"));
  CHECK(e.availability == 3500);
  CHECK(e.activity.token.empty());
  CHECK(e.activity.custom == "Writing a novel");
}

TEST_CASE("device, contact and unknown extensions are carried on the endpoint") {
  const std::string xml =
      R"(<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model")"
      R"( xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" xmlns:x="urn:x" entity="sip:bob@example.com">)"
      R"(<tuple id="t1"><status><basic>open</basic><x:s/></status><dm:deviceID>urn:uuid:d2</dm:deviceID>)"
      R"(<x:t/><contact>sip:bob@192.0.2.7</contact></tuple>)"
      R"(<dm:person id="p"><x:p/></dm:person>)"
      R"(<dm:device id="d1"><x:d/><dm:deviceID>urn:uuid:d1</dm:deviceID><dm:note>Laptop</dm:note></dm:device>)"
      R"(<dm:device id="d2"><dm:deviceID>urn:uuid:d2</dm:deviceID><dm:note>Desk phone</dm:note></dm:device>)"
      R"(<x:top/></presence>)";
  const EndpointPresence e = fromXml(xml);
  CHECK(e.device.contact == "sip:bob@192.0.2.7");
  CHECK(e.device.endpoint_id == "urn:uuid:d2");  // the device the tuple links to
  CHECK(e.device.device_name == "Desk phone");
  REQUIRE(e.pidf_extensions.size() == 4);
  CHECK(e.pidf_extensions[0] == PidfFragment{PidfPlace::Presence, R"(<x:top xmlns:x="urn:x"/>)"});
  CHECK(e.pidf_extensions[1] == PidfFragment{PidfPlace::Status, R"(<x:s xmlns:x="urn:x"/>)"});
  CHECK(e.pidf_extensions[2] == PidfFragment{PidfPlace::Tuple, R"(<x:t xmlns:x="urn:x"/>)"});
  CHECK(e.pidf_extensions[3] == PidfFragment{PidfPlace::Person, R"(<x:p xmlns:x="urn:x"/>)"});
}

Presence presenceOf(Availability a, std::string token = "", std::optional<Note> note = {}) {
  Presence p;
  p.availability = a;
  p.activity.token = std::move(token);
  p.note = std::move(note);
  return p;
}

TEST_CASE("forward map: canonical -> basic, RPID activities, user-input") {
  struct Row {
    Availability availability;
    const char* token;
    bool open;
    std::vector<std::string> tokens;  // empty: no <activities>
    const char* activity_note;
    bool idle;
  };
  const Row rows[] = {
      {3500, "", true, {}, "", false},
      {4500, "", true, {}, "", true},
      {6500, "", true, {"busy"}, "", false},
      {6500, "on-the-phone", true, {"on-the-phone"}, "", false},
      {6500, "in-a-conference", true, {"on-the-phone"}, "In a conference call", false},
      {6500, "in-a-meeting", true, {"meeting"}, "", false},
      {7500, "", true, {"busy"}, "", true},
      {6900, "urgent-interruptions-only", true, {"busy"}, "Urgent interruptions only", false},
      {9500, "", true, {"busy"}, "Do not disturb", false},
      {9500, "in-presentation", true, {"busy"}, "Presenting", false},
      {12500, "", true, {"away"}, "Be right back", false},
      {15500, "", true, {"away"}, "", false},
      {15500, "out-to-lunch", true, {"meal"}, "", false},
      {15500, "out-of-office", true, {"vacation"}, "", false},
      {3500, "out-of-office", true, {"vacation"}, "", false},
      {18500, "", false, {}, "", false},
      {0, "", false, {"unknown"}, "", false},
      {15500, "sleeping", true, {"sleeping"}, "", false},
  };
  for (const Row& r : rows) {
    CAPTURE(r.availability);
    CAPTURE(r.token);
    const PidfDocument doc = pidfFromPresence(presenceOf(r.availability, r.token), "sip:a@b");
    REQUIRE(doc.tuples.size() == 1);
    CHECK(doc.tuples[0].basic_open == r.open);
    REQUIRE(doc.persons.size() == 1);
    const PidfPerson& person = doc.persons[0];
    if (r.tokens.empty()) {
      CHECK_FALSE(person.activities);
    } else {
      REQUIRE(person.activities);
      CHECK(person.activities->tokens == r.tokens);
      if (*r.activity_note != '\0') {
        REQUIRE(person.activities->notes.size() == 1);
        CHECK(person.activities->notes[0].text == r.activity_note);
      } else {
        CHECK(person.activities->notes.empty());
      }
    }
    CHECK(person.user_input.has_value() == r.idle);
    REQUIRE(person.ocs);
    CHECK(person.ocs->availability == r.availability);
  }
}

TEST_CASE("unknown canonical tokens and custom text go out as rpid:other") {
  Presence p = presenceOf(3500, "in-a-hackathon");
  PidfDocument doc = pidfFromPresence(p, "sip:a@b");
  CHECK(doc.persons[0].activities->other == "in-a-hackathon");
  p.activity.custom = "Hacking";
  doc = pidfFromPresence(p, "sip:a@b");
  CHECK(doc.persons[0].activities->other == "Hacking");
  // Our own extension brings the exact token back.
  auto parsed = parsePidf(writePidf(doc), XmlLimits{});
  REQUIRE(parsed);
  const EndpointPresence back = endpointFromPidf(*parsed);
  CHECK(back.activity.token == "in-a-hackathon");
  CHECK(back.activity.custom == "Hacking");
}

TEST_CASE("an OOF note adds <vacation/> and keeps the note in tuple and person") {
  Note oof{"Away until Monday", "en", NoteType::OutOfOffice};
  const PidfDocument doc = pidfFromPresence(presenceOf(3500, "", oof), "sip:a@b");
  CHECK(doc.persons[0].activities->tokens == std::vector<std::string>{"vacation"});
  CHECK(doc.tuples[0].notes == std::vector<PidfNote>{{"Away until Monday", "en"}});
  CHECK(doc.persons[0].notes == std::vector<PidfNote>{{"Away until Monday", "en"}});
}

TEST_CASE("<unknown/> stands alone and offline has no activities, whatever else is set") {
  Presence p = presenceOf(0, "out-of-office", Note{"Away", "", NoteType::OutOfOffice});
  p.activity.custom = "custom";
  PidfDocument doc = pidfFromPresence(p, "sip:a@b");
  CHECK(doc.persons[0].activities->tokens == std::vector<std::string>{"unknown"});
  CHECK(doc.persons[0].activities->other.empty());
  p.availability = 18500;
  doc = pidfFromPresence(p, "sip:a@b");
  CHECK_FALSE(doc.persons[0].activities);
  CHECK(doc.tuples[0].basic_open == false);
}

TEST_CASE("render options: ids, timestamp, devices, no extension") {
  Presence p = presenceOf(3500);
  p.last_active = 1004201369;
  p.devices.push_back(DeviceInfo{"0b196426d9", "LAPTOP-1", "", "", {}, {}});
  p.devices.push_back(DeviceInfo{"urn:uuid:abc", "", "", "", {}, {}});
  PidfRenderOptions options;
  options.tuple_id = "bob-t";
  options.person_id = "bob-p";
  options.timestamp = 1004201369;
  options.ocs_extension = false;
  const PidfDocument doc = pidfFromPresence(p, "sip:bob@example.com", options);
  CHECK(doc.tuples[0].id == "bob-t");
  CHECK(doc.tuples[0].timestamp == "2001-10-27T16:49:29Z");
  CHECK(doc.persons[0].id == "bob-p");
  CHECK_FALSE(doc.persons[0].ocs);
  REQUIRE(doc.persons[0].user_input);
  CHECK_FALSE(doc.persons[0].user_input->idle);
  CHECK(doc.persons[0].user_input->last_input == "2001-10-27T16:49:29Z");
  REQUIRE(doc.devices.size() == 2);
  CHECK(doc.devices[0].device_id == "urn:x-confab:epid:0b196426d9");
  CHECK(doc.devices[0].notes[0].text == "LAPTOP-1");
  CHECK(doc.devices[1].device_id == "urn:uuid:abc");
  const std::string xml = writePidf(doc);
  CHECK(xml.find(std::string(ns::kConfabOcs)) == std::string::npos);
}

TEST_CASE("a Confab hint that contradicts <basic> is ignored") {
  const std::string xml =
      R"(<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model")"
      R"( xmlns:ocs="urn:x-confab:xml:ns:pidf:ocs" entity="sip:a@b">)"
      R"(<tuple id="t"><status><basic>closed</basic></status></tuple>)"
      R"(<dm:person id="p"><ocs:state availability="3500"/></dm:person></presence>)";
  CHECK(fromXml(xml).availability == 18500);
}

}  // namespace
}  // namespace core::presence
