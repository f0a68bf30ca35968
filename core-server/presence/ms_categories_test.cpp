// SPDX-License-Identifier: Apache-2.0
// msrtc-category-publish+xml and msrtc-event-categories+xml at the document level,
// on the bodies PROTOCOLS.md and sipe-ocs2007.c show.
#include "core-server/presence/ms_categories.h"

#include <doctest/doctest.h>

#include "core-server/presence/ms_testing.h"

namespace core::presence {
namespace {

using namespace testing;

TEST_CASE("the SERVICE publish body from PROTOCOLS.md") {
  const CategoryPublish p = parsePublishOk(kProtocolsUserStatePublish);
  CHECK(p.uri == "sip:alice@contoso.com");
  REQUIRE(p.publications.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    const CategoryPublication& pub = p.publications[i];
    CHECK(pub.name == "state");
    CHECK(pub.instance == 536870912);  // 0x20000000: userState
    CHECK(pub.container == (i == 0 ? 2U : 3U));
    CHECK(pub.version == 22);
    CHECK(pub.expire_type == ExpireType::Static);
    CHECK_FALSE(pub.expires);
    REQUIRE(pub.state);
    CHECK(pub.state->kind == StateKind::User);
    CHECK(pub.state->type == "userState");
    CHECK(pub.state->manual);
    CHECK(pub.state->availability == 15500);
    CHECK(pub.state->activity.empty());
  }
  // The payload is kept, self-contained, for roaming-self and passthrough.
  CHECK(
      p.publications[0].xml.rfind(
          R"(<state xmlns="http://schemas.microsoft.com/2006/09/sip/state" )"
          R"(xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" manual="true" xsi:type="userState">)",
          0) == 0);
}

TEST_CASE("sipe's endpoint publications: machine, phone, calendar, device, note") {
  const CategoryPublish p = parsePublishOk(kSipeEndpointPublish);
  REQUIRE(p.publications.size() == 7);

  const CategoryPublication& machine = p.publications[0];
  CHECK(machine.expire_type == ExpireType::Endpoint);
  CHECK(machine.state->kind == StateKind::Machine);
  CHECK(machine.state->availability == 3500);
  CHECK_FALSE(machine.state->manual);

  const MsState& phone = *p.publications[1].state;
  CHECK(phone.kind == StateKind::Phone);
  CHECK(phone.availability == 6500);
  CHECK(phone.activity.token == "on-the-phone");
  CHECK(phone.activity.min_availability == 6500);
  CHECK(phone.activity.max_availability == 8999);

  const MsState& cal = *p.publications[2].state;
  CHECK(cal.kind == StateKind::Calendar);
  CHECK(cal.availability == 6500);
  CHECK(cal.activity.token == "in-a-meeting");
  CHECK(cal.meeting_subject == "Customer Meeting");
  CHECK(cal.meeting_location == "Conf Room 100");
  CHECK(cal.start_time == 1200078000);  // 2008-01-11T19:00:00Z

  const DeviceInfo& device = *p.publications[3].device;
  CHECK(device.endpoint_id == "C707E38E-1E10-5413-94D9-ECAC260A0269");
  CHECK(device.contact == "sip:alice@contoso.com");
  CHECK(device.caps.im == true);
  CHECK(device.caps.voice == true);
  CHECK(device.caps.video == false);
  CHECK(device.timezone == "00:00:00+01:00");
  CHECK(device.device_name == "BOSTON-OCS07");

  const CategoryPublication& note = p.publications[4];
  CHECK(note.container == 200);
  REQUIRE(note.note);
  CHECK(note.note->text == "In the office & busy");
  CHECK(note.note->type == NoteType::Personal);

  const CategoryPublication& oof = p.publications[5];
  REQUIRE(oof.note);
  CHECK(oof.note->type == NoteType::OutOfOffice);
  CHECK(oof.note->start == 1200078000);
  CHECK(oof.note->end == 1200423600);

  const CategoryPublication& clear = p.publications[6];
  CHECK(clear.removes());
  CHECK(clear.xml.empty());
  CHECK_FALSE(clear.state);
}

TEST_CASE("unmodelled categories keep their payload raw") {
  const CategoryPublish p = parsePublishOk(kContactCardPublish);
  REQUIRE(p.publications.size() == 1);
  const CategoryPublication& card = p.publications[0];
  CHECK(card.name == "contactCard");
  CHECK_FALSE(card.state);
  CHECK(card.xml == R"(<contactCard xmlns="http://schemas.microsoft.com/2006/09/sip/contactcard">)"
                    R"(<identity><name><displayName>Alice &amp; Co</displayName></name></identity>)"
                    R"(<title>Developer</title></contactCard>)");
}

TEST_CASE("publication attribute errors name the publication") {
  auto check = [](std::string_view attrs, std::string_view expected) {
    const std::string xml =
        std::string(R"(<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence">)"
                    R"(<publications uri="sip:a@b"><publication )") +
        std::string(attrs) + "/></publications></publish>";
    auto r = parseCategoryPublish(xml, XmlLimits{});
    REQUIRE_FALSE(r);
    CHECK(r.error().status == 400);
    CHECK(r.error().detail == expected);
  };
  check(R"(instance="1" container="2" version="1" expireType="static")",
        "msrtc publish: publication 1: missing categoryName");
  check(R"(categoryName="state" container="2" version="1" expireType="static")",
        "msrtc publish: publication 1 (state): missing instance");
  check(R"(categoryName="state" instance="x" container="2" version="1" expireType="static")",
        "msrtc publish: publication 1 (state): instance=\"x\" is not an unsigned 32-bit number");
  check(
      R"(categoryName="state" instance="4294967296" container="2" version="1" expireType="static")",
      "msrtc publish: publication 1 (state): instance=\"4294967296\" is not an unsigned "
      "32-bit number");
  check(R"(categoryName="note" instance="0" container="200" version="1")",
        "msrtc publish: publication 1 (note): missing expireType");
  check(R"(categoryName="note" instance="0" container="200" version="1" expireType="forever")",
        "msrtc publish: publication 1 (note): unknown expireType \"forever\"");
  check(
      R"(categoryName="note" instance="0" container="200" version="1" expireType="time" expires="-1")",
      "msrtc publish: publication 1 (note): expires=\"-1\" is not an unsigned 32-bit number");

  auto bad_avail = parseCategoryPublish(
      R"(<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="sip:a@b">)"
      R"(<publication categoryName="state" instance="1" container="2" version="1" expireType="endpoint">)"
      R"(<state xmlns="http://schemas.microsoft.com/2006/09/sip/state"><availability>busy</availability></state>)"
      R"(</publication></publications></publish>)",
      XmlLimits{});
  REQUIRE_FALSE(bad_avail);
  CHECK(bad_avail.error().detail ==
        "msrtc publish: publication 1 (state): <availability> is not an unsigned number");
}

TEST_CASE("a categories NOTIFY body from a federated server") {
  auto doc = parseCategories(kFederatedCategories, XmlLimits{});
  REQUIRE_MESSAGE(doc.ok(), (doc.ok() ? "" : doc.error().detail));
  CHECK(doc->uri == "sip:bob@fabrikam.com");
  REQUIRE(doc->categories.size() == 4);
  const CategoryPublication& state = doc->categories[0];
  CHECK(state.container == 200);
  CHECK(state.version == 4);
  CHECK(state.publish_time == 1284474377);
  CHECK(state.state->kind == StateKind::Aggregate);
  CHECK(state.state->availability == 6500);
  CHECK(state.state->activity.token == "in-a-meeting");
  CHECK(state.state->last_active == 1284474000);
  CHECK(doc->categories[1].note->text == "Ask me about Confab");
  CHECK(doc->categories[2].name == "note");
  CHECK_FALSE(doc->categories[2].note);  // an empty note category: cleared
  CHECK(doc->categories[3].name == "contactCard");
}

}  // namespace
}  // namespace core::presence
