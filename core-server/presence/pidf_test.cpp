// SPDX-License-Identifier: Apache-2.0
// PIDF documents from the RFC examples, parsed, written and parsed again.
#include "core-server/presence/pidf.h"

#include <doctest/doctest.h>

#include "core-server/presence/xml_tree.h"

namespace core::presence {
namespace {

PidfDocument parseOk(std::string_view xml) {
  auto doc = parsePidf(xml, XmlLimits{});
  REQUIRE_MESSAGE(doc.ok(), (doc.ok() ? "" : doc.error().detail));
  return std::move(*doc);
}

// Written from the example of RFC 3863 §6 (with its im: and myex: extensions).
constexpr std::string_view kRfc3863Example = R"(<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf"
    xmlns:im="urn:ietf:params:xml:ns:pidf:im"
    xmlns:myex="http://id.example.com/presence/"
    entity="pres:someone@example.com">
  <tuple id="bs35r9">
    <status>
      <basic>open</basic>
      <im:im>busy</im:im>
      <myex:location>home</myex:location>
    </status>
    <contact priority="0.8">im:someone@mobilecarrier.net</contact>
    <note xml:lang="en">Don't Disturb Please!</note>
    <note xml:lang="fr">Ne derangez pas, s'il vous plait</note>
    <timestamp>2001-10-27T16:49:29Z</timestamp>
  </tuple>
  <tuple id="eg92n8">
    <status>
      <basic>open</basic>
    </status>
    <contact priority="1.0">mailto:someone@example.com</contact>
  </tuple>
  <note>I'll be in Tokyo next week</note>
</presence>)";

// Written from the example of RFC 4480 §4 (persons, devices, services, and RPID
// elements we only pass through: mood, place-is, place-type, privacy, sphere...).
constexpr std::string_view kRfc4480Example = R"(<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf"
     xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"
     xmlns:lt="urn:ietf:params:xml:ns:location-type"
     xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"
     entity="pres:someone@example.com">
  <tuple id="bs35r9">
    <status>
      <basic>open</basic>
    </status>
    <dm:deviceID>urn:device:0003ba4811e3</dm:deviceID>
    <rpid:relationship><rpid:self/></rpid:relationship>
    <rpid:service-class><rpid:electronic/></rpid:service-class>
    <contact priority="0.8">im:someone@mobilecarrier.net</contact>
    <note xml:lang="en">Don't Disturb Please!</note>
    <note xml:lang="fr">Ne derangez pas, s'il vous plait</note>
    <timestamp>2005-10-27T16:49:29Z</timestamp>
  </tuple>
  <tuple id="ty4658">
    <status>
      <basic>open</basic>
    </status>
    <rpid:relationship><rpid:assistant/></rpid:relationship>
    <contact priority="1.0">mailto:secretary@example.com</contact>
  </tuple>
  <tuple id="eg92n8">
    <status>
      <basic>open</basic>
    </status>
    <dm:deviceID>urn:x-mac:0003ba4811e3</dm:deviceID>
    <rpid:class>email</rpid:class>
    <rpid:service-class><rpid:electronic/></rpid:service-class>
    <rpid:status-icon>http://example.com/mail.png</rpid:status-icon>
    <contact>mailto:someone@example.com</contact>
  </tuple>
  <note>I'll be in Tokyo next week</note>
  <dm:device id="pc147">
    <rpid:user-input idle-threshold="600"
      last-input="2004-10-21T13:20:00.000-05:00">idle</rpid:user-input>
    <dm:deviceID>urn:device:0003ba4811e3</dm:deviceID>
    <dm:note xml:lang="en">PC</dm:note>
  </dm:device>
  <dm:person id="p1">
    <rpid:activities from="2005-05-30T12:00:00+05:00"
      until="2005-05-30T17:00:00+05:00">
      <rpid:note>Far away</rpid:note>
      <rpid:away/>
    </rpid:activities>
    <rpid:class>calendar</rpid:class>
    <rpid:mood>
      <rpid:angry/>
      <rpid:other>brooding</rpid:other>
    </rpid:mood>
    <rpid:place-is>
      <rpid:audio>
        <rpid:noisy/>
      </rpid:audio>
    </rpid:place-is>
    <rpid:place-type><lt:residence/></rpid:place-type>
    <rpid:privacy><rpid:unknown/></rpid:privacy>
    <rpid:sphere>bowling league</rpid:sphere>
    <rpid:status-icon>http://example.com/play.gif</rpid:status-icon>
    <rpid:time-offset>-240</rpid:time-offset>
    <dm:note>Scoring 120</dm:note>
    <dm:timestamp>2005-05-30T16:09:44+05:00</dm:timestamp>
  </dm:person>
</presence>)";

// Written from RFC 4479 §7's style: a person on the phone, an idle device.
constexpr std::string_view kRfc4479Example = R"(<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf"
    xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"
    xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"
    entity="pres:someone@example.com">
  <tuple id="sg89ae">
    <status><basic>open</basic></status>
    <dm:deviceID>mac:8asd7d7d70</dm:deviceID>
    <contact>sip:someone@example.com</contact>
  </tuple>
  <dm:person id="p1">
    <rpid:activities><rpid:on-the-phone/></rpid:activities>
  </dm:person>
  <dm:device id="pc122">
    <rpid:user-input>idle</rpid:user-input>
    <dm:deviceID>mac:8asd7d7d70</dm:deviceID>
  </dm:device>
</presence>)";

TEST_CASE("RFC 3863 example: tuples, notes, status extensions") {
  const PidfDocument doc = parseOk(kRfc3863Example);
  CHECK(doc.entity == "pres:someone@example.com");
  REQUIRE(doc.tuples.size() == 2);
  const PidfTuple& t = doc.tuples[0];
  CHECK(t.id == "bs35r9");
  CHECK(t.basic_open == true);
  CHECK(t.contact == "im:someone@mobilecarrier.net");
  CHECK(t.contact_priority == "0.8");
  REQUIRE(t.notes.size() == 2);
  CHECK(t.notes[0] == PidfNote{"Don't Disturb Please!", "en"});
  CHECK(t.notes[1].lang == "fr");
  CHECK(t.timestamp == "2001-10-27T16:49:29Z");
  REQUIRE(t.status_extensions.size() == 2);
  CHECK(t.status_extensions[0] ==
        R"(<im:im xmlns:im="urn:ietf:params:xml:ns:pidf:im">busy</im:im>)");
  CHECK(t.status_extensions[1] ==
        R"(<myex:location xmlns:myex="http://id.example.com/presence/">home</myex:location>)");
  REQUIRE(doc.notes.size() == 1);
  CHECK(doc.notes[0].text == "I'll be in Tokyo next week");
  CHECK(doc.persons.empty());
}

TEST_CASE("RFC 4480 example: person, device, services, unknown RPID kept raw") {
  const PidfDocument doc = parseOk(kRfc4480Example);
  REQUIRE(doc.tuples.size() == 3);
  CHECK(doc.tuples[0].device_id == "urn:device:0003ba4811e3");
  CHECK(doc.tuples[0].extensions.size() == 2);  // relationship, service-class
  CHECK(
      doc.tuples[0].extensions[0] ==
      R"(<rpid:relationship xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"><rpid:self/></rpid:relationship>)");
  CHECK(doc.tuples[2].extensions.size() == 3);

  REQUIRE(doc.devices.size() == 1);
  const PidfDevice& d = doc.devices[0];
  CHECK(d.id == "pc147");
  CHECK(d.device_id == "urn:device:0003ba4811e3");
  REQUIRE(d.user_input);
  CHECK(d.user_input->idle);
  CHECK(d.user_input->idle_threshold == "600");
  CHECK(d.user_input->last_input == "2004-10-21T13:20:00.000-05:00");
  CHECK(d.notes == std::vector<PidfNote>{{"PC", "en"}});

  REQUIRE(doc.persons.size() == 1);
  const PidfPerson& p = doc.persons[0];
  REQUIRE(p.activities);
  CHECK(p.activities->tokens == std::vector<std::string>{"away"});
  CHECK(p.activities->notes == std::vector<PidfNote>{{"Far away", ""}});
  CHECK(p.activities->from == "2005-05-30T12:00:00+05:00");
  CHECK(p.activities->until == "2005-05-30T17:00:00+05:00");
  CHECK(p.notes == std::vector<PidfNote>{{"Scoring 120", ""}});
  CHECK(p.timestamp == "2005-05-30T16:09:44+05:00");
  // class, mood, place-is, place-type, privacy, sphere, status-icon, time-offset
  REQUIRE(p.extensions.size() == 8);
  CHECK(p.extensions[3] ==
        R"(<rpid:place-type xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid">)"
        R"(<lt:residence xmlns:lt="urn:ietf:params:xml:ns:location-type"/></rpid:place-type>)");
}

TEST_CASE("RFC 4479 style example: on the phone, idle device") {
  const PidfDocument doc = parseOk(kRfc4479Example);
  REQUIRE(doc.persons.size() == 1);
  CHECK(doc.persons[0].activities->tokens == std::vector<std::string>{"on-the-phone"});
  REQUIRE(doc.devices.size() == 1);
  CHECK(doc.devices[0].user_input->idle);
  CHECK(doc.tuples[0].device_id == "mac:8asd7d7d70");
}

TEST_CASE("written documents parse back to the same document") {
  for (std::string_view sample : {kRfc3863Example, kRfc4480Example, kRfc4479Example}) {
    const PidfDocument doc = parseOk(sample);
    const std::string written = writePidf(doc);
    CAPTURE(written);
    const PidfDocument again = parseOk(written);
    CHECK(again == doc);
    CHECK(writePidf(again) == written);  // and writing is stable
  }
}

TEST_CASE("unknown extensions pass through with their namespaces") {
  const PidfDocument doc = parseOk(
      R"(<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:c="urn:ietf:params:xml:ns:pidf:caps")"
      R"( xmlns:x="urn:example:x" entity="sip:a@example.com">)"
      R"(<tuple id="t"><status><basic>open</basic></status>)"
      R"(<c:servcaps><c:audio>true</c:audio><c:text>true</c:text></c:servcaps></tuple>)"
      R"(<x:geo lat="1" x:alt="2"><x:city>Oslo</x:city></x:geo></presence>)");
  REQUIRE(doc.tuples[0].extensions.size() == 1);
  CHECK(doc.tuples[0].extensions[0] ==
        R"(<c:servcaps xmlns:c="urn:ietf:params:xml:ns:pidf:caps"><c:audio>true</c:audio>)"
        R"(<c:text>true</c:text></c:servcaps>)");
  REQUIRE(doc.extensions.size() == 1);
  CHECK(doc.extensions[0] ==
        R"(<x:geo xmlns:x="urn:example:x" lat="1" x:alt="2"><x:city>Oslo</x:city></x:geo>)");
  const PidfDocument again = parseOk(writePidf(doc));
  CHECK(again.extensions == doc.extensions);
  CHECK(again.tuples[0].extensions == doc.tuples[0].extensions);
}

TEST_CASE("pre-4479 documents with RPID in the tuple or its status are understood") {
  const PidfDocument doc = parseOk(
      R"(<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid")"
      R"( entity="sip:a@b"><tuple id="t"><status><basic>open</basic>)"
      R"(<rpid:activities><rpid:busy/></rpid:activities></status>)"
      R"(<rpid:user-input>idle</rpid:user-input></tuple></presence>)");
  REQUIRE(doc.tuples[0].activities);
  CHECK(doc.tuples[0].activities->tokens == std::vector<std::string>{"busy"});
  REQUIRE(doc.tuples[0].user_input);
  CHECK(doc.tuples[0].user_input->idle);
}

TEST_CASE("PIDF semantic errors are 400s with a reason") {
  auto no_entity = parsePidf(R"(<presence xmlns="urn:ietf:params:xml:ns:pidf"/>)", XmlLimits{});
  REQUIRE_FALSE(no_entity);
  CHECK(no_entity.error().status == 400);
  CHECK(no_entity.error().detail == "PIDF: <presence> has no entity attribute");
  auto bad_basic =
      parsePidf(R"(<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@b"><tuple id="t1">)"
                R"(<status><basic>maybe</basic></status></tuple></presence>)",
                XmlLimits{});
  REQUIRE_FALSE(bad_basic);
  CHECK(bad_basic.error().detail == "PIDF: tuple 't1': <basic> must be open or closed");
}

TEST_CASE("hostile activity tokens never become element names") {
  PidfDocument doc;
  doc.entity = "sip:a@b";
  PidfPerson p;
  p.id = "p";
  p.activities = RpidActivities{{"busy", "a b", "x><y", "", "1up"}, "", {}, "", ""};
  doc.persons.push_back(p);
  const PidfDocument again = parseOk(writePidf(doc));
  CHECK(again.persons[0].activities->tokens == std::vector<std::string>{"busy"});
}

}  // namespace
}  // namespace core::presence
