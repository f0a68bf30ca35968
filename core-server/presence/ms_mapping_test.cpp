// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/ms_mapping.h"

#include <doctest/doctest.h>

#include "core-server/presence/aggregation.h"
#include "core-server/presence/model_testing.h"
#include "core-server/presence/ms_testing.h"
#include "core-server/presence/xml_tree.h"

namespace core::presence {
namespace {

using namespace testing;

constexpr int64_t kNow = 1'700'000'000;

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_CASE("folding the PROTOCOLS.md userState publish: manual away") {
  PresentityState state;
  EndpointPresence endpoint;
  endpoint.source_id = "epid-1";
  endpoint.availability = 3500;  // the machine is active
  for (const CategoryPublication& p : parsePublishOk(kProtocolsUserStatePublish).publications) {
    foldPublication(p, state, endpoint);
  }
  REQUIRE(state.user_state);
  CHECK(state.user_state->state.availability == 15500);
  state.endpoints.push_back(endpoint);
  const Presence p = aggregate(state, kNow);
  CHECK(p.availability == 15500);
  CHECK(p.source == AggregateSource::UserState);
}

TEST_CASE("folding sipe's endpoint publications") {
  PresentityState state;
  EndpointPresence endpoint;
  endpoint.source_id = "epid-1";
  for (const CategoryPublication& p : parsePublishOk(kSipeEndpointPublish).publications) {
    foldPublication(p, state, endpoint);
  }
  CHECK(endpoint.dialect == Dialect::MsCategories);
  CHECK(endpoint.availability == 3500);
  REQUIRE(endpoint.phone);
  CHECK(endpoint.phone->availability == 6500);
  CHECK(endpoint.phone->activity.token == "on-the-phone");
  REQUIRE(endpoint.calendar);
  CHECK(endpoint.calendar->state == FreeBusy::Busy);
  CHECK(endpoint.calendar->meeting_subject == "Customer Meeting");
  CHECK(endpoint.calendar->start == 1200078000);
  CHECK(endpoint.device.device_name == "BOSTON-OCS07");
  CHECK(endpoint.device.caps.voice == true);
  REQUIRE(state.personal_note);
  CHECK(state.personal_note->text == "In the office & busy");
  REQUIRE(state.oof_note);
  CHECK(state.oof_note->text == "On leave");

  state.endpoints.push_back(endpoint);
  const Presence p = aggregate(state, 1200100000);  // inside the OOF window
  CHECK(p.availability == 6500);
  CHECK(p.activity.token == "on-the-phone");  // the call beats the meeting (A5)
  CHECK(p.note->text == "On leave");          // the active OOF note beats the personal one
  CHECK(p.note->type == NoteType::OutOfOffice);
  CHECK(p.calendar->meeting_location == "Conf Room 100");
}

TEST_CASE("calendarState flavours as sipe publishes them") {
  auto calendarFrom = [](std::string_view state_xml) {
    const std::string xml =
        std::string(
            R"(<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence">)"
            R"(<publications uri="sip:a@b"><publication categoryName="state" instance="1")"
            R"( container="2" version="1" expireType="endpoint">)"
            R"(<state xmlns="http://schemas.microsoft.com/2006/09/sip/state")"
            R"( xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="calendarState">)") +
        std::string(state_xml) + "</state></publication></publications></publish>";
    PresentityState state;
    EndpointPresence endpoint;
    foldPublication(parsePublishOk(xml).publications[0], state, endpoint);
    REQUIRE(endpoint.calendar);
    return endpoint.calendar->state;
  };
  CHECK(calendarFrom("<availability>6500</availability>") == FreeBusy::Busy);
  CHECK(calendarFrom(R"(<activity token="in-a-meeting"/>)") == FreeBusy::Busy);
  CHECK(calendarFrom(R"(<activity token="out-of-office" minAvailability="12000"/>)") ==
        FreeBusy::OutOfOffice);
  CHECK(calendarFrom("<availability>3500</availability>") == FreeBusy::Free);
  CHECK(calendarFrom("") == FreeBusy::Unknown);
}

TEST_CASE("unmodelled categories are passed through at user or endpoint level") {
  PresentityState state;
  EndpointPresence endpoint;
  const CategoryPublication card = parsePublishOk(kContactCardPublish).publications[0];
  foldPublication(card, state, endpoint);
  REQUIRE(state.ms_categories.size() == 1);
  CHECK(state.ms_categories[0].name == "contactCard");
  CHECK(state.ms_categories[0].container == 200);
  CHECK(state.ms_categories[0].xml == card.xml);

  CategoryPublication endpoint_bound = card;
  endpoint_bound.name = "x-custom";
  endpoint_bound.expire_type = ExpireType::Endpoint;
  foldPublication(endpoint_bound, state, endpoint);
  CHECK(endpoint.ms_categories.size() == 1);

  CategoryPublication removed = card;
  removed.expires = 0;
  foldPublication(removed, state, endpoint);
  CHECK(state.ms_categories.size() == 1);  // removals are the caller's business
}

TEST_CASE("a note publication without a body clears that note") {
  PresentityState state;
  EndpointPresence endpoint;
  state.personal_note = note("old");
  state.oof_note = Note{"old oof", "", NoteType::OutOfOffice};
  CategoryPublication clear;
  clear.name = "note";
  clear.instance = 0;
  foldPublication(clear, state, endpoint);
  CHECK_FALSE(state.personal_note);
  CHECK(state.oof_note);
  clear.instance = 1073741825;
  foldPublication(clear, state, endpoint);
  CHECK_FALSE(state.oof_note);
}

Presence richPresence() {
  Presence p;
  p.availability = 6500;
  p.activity.token = "in-a-meeting";
  p.last_active = 1284474000;
  p.note = Note{"Ask me about <Confab> & more", "en-US", NoteType::Personal};
  p.calendar = CalendarState{FreeBusy::Busy, "Budget", "Room 7", 0, 0};
  DeviceInfo laptop;
  laptop.endpoint_id = "C707E38E";
  laptop.device_name = "LAPTOP";
  laptop.caps.voice = true;
  p.devices.push_back(laptop);
  p.ms_categories.push_back(
      MsCategoryInstance{"contactCard", 0, 200, 3, 0,
                         "<contactCard xmlns=\"urn:c\"><title>CTO</title></contactCard>"});
  p.ms_categories.push_back(MsCategoryInstance{
      "contactCard", 0, 400, 5, 0, "<contactCard xmlns=\"urn:c\"><phone>1</phone></contactCard>"});
  return p;
}

TEST_CASE("what each access level sees") {
  const Presence p = richPresence();
  MsRenderOptions options;
  options.version = 7;
  options.publish_time = 1284474377;

  options.container = kContainerBlocked;
  std::string xml = renderCategories(p, "sip:bob@contoso.com", options);
  CHECK(contains(xml, "<availability>18500</availability>"));
  CHECK_FALSE(contains(xml, "in-a-meeting"));
  CHECK_FALSE(contains(xml, "name=\"note\""));
  CHECK_FALSE(contains(xml, "contactCard"));

  options.container = kContainerPublic;
  xml = renderCategories(p, "sip:bob@contoso.com", options);
  CHECK(contains(xml, "<availability>6500</availability>"));
  CHECK_FALSE(contains(xml, "activity"));
  CHECK_FALSE(contains(xml, "name=\"note\""));
  CHECK_FALSE(contains(xml, "contactCard"));  // no card was published to 100

  options.container = kContainerCompany;
  xml = renderCategories(p, "sip:bob@contoso.com", options);
  CHECK(contains(xml, R"(<activity token="in-a-meeting"/>)"));
  CHECK(contains(xml, R"(lastActive="2010-09-14T14:20:00Z")"));
  CHECK(contains(xml, "Ask me about &lt;Confab&gt; &amp; more"));
  CHECK_FALSE(contains(xml, "meetingSubject"));
  CHECK_FALSE(contains(xml, "name=\"device\""));
  CHECK(contains(xml, "<title>CTO</title>"));
  CHECK_FALSE(contains(xml, "<phone>1</phone>"));

  options.container = kContainerTeam;
  xml = renderCategories(p, "sip:bob@contoso.com", options);
  CHECK(contains(xml, "<meetingSubject>Budget</meetingSubject>"));
  CHECK(contains(xml, "<meetingLocation>Room 7</meetingLocation>"));
  CHECK(contains(xml, "name=\"device\""));
  CHECK_FALSE(contains(xml, "contactCard"));  // nothing published to 300

  options.container = kContainerPersonal;
  xml = renderCategories(p, "sip:bob@contoso.com", options);
  CHECK(contains(xml, "<phone>1</phone>"));
  CHECK(contains(xml, R"(<category name="contactCard" instance="0" container="400" version="5">)"));
}

TEST_CASE("the rendered categories document, exactly") {
  Presence p;
  p.availability = 4500;
  p.note = Note{"Lunch at 12", "", NoteType::Personal};
  MsRenderOptions options;
  options.container = kContainerCompany;
  options.version = 3;
  options.publish_time = 1284474377;
  CHECK(
      renderCategories(p, "sip:bob@contoso.com", options) ==
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      R"(<categories xmlns="http://schemas.microsoft.com/2006/09/sip/categories" uri="sip:bob@contoso.com">)"
      R"(<category name="state" instance="0" publishTime="2010-09-14T14:26:17Z" container="200" version="3">)"
      R"(<state xmlns="http://schemas.microsoft.com/2006/09/sip/state" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="aggregateState">)"
      R"(<availability>4500</availability></state></category>)"
      R"(<category name="note" instance="0" publishTime="2010-09-14T14:26:17Z" container="200" version="3">)"
      R"(<note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">Lunch at 12</body></note>)"
      R"(</category></categories>)");
  p.note.reset();
  const std::string cleared = renderCategories(p, "sip:bob@contoso.com", options);
  CHECK(contains(
      cleared,
      R"(<category name="note" instance="0" publishTime="2010-09-14T14:26:17Z" container="200" version="3"/>)"));
}

TEST_CASE("rendered categories parse back with our own parser") {
  const Presence p = richPresence();
  MsRenderOptions options;
  options.container = kContainerPersonal;
  auto doc = parseCategories(renderCategories(p, "sip:bob@contoso.com", options), XmlLimits{});
  REQUIRE_MESSAGE(doc.ok(), (doc.ok() ? "" : doc.error().detail));
  const EndpointPresence e = endpointFromCategories(*doc);
  CHECK(e.availability == 6500);
  CHECK(e.activity.token == "in-a-meeting");
  CHECK(e.last_active == 1284474000);
  CHECK(*e.note == *p.note);
  CHECK(e.calendar->meeting_subject == "Budget");
  CHECK(e.device.endpoint_id == "C707E38E");
  CHECK(e.device.device_name == "LAPTOP");
  CHECK(e.device.caps.im == true);
  CHECK(e.device.caps.voice == true);
  CHECK(e.device.caps.video == false);
  CHECK(e.device.contact == "sip:bob@contoso.com");
  REQUIRE(e.ms_categories.size() == 1);
  CHECK(e.ms_categories[0].xml == p.ms_categories[1].xml);
}

TEST_CASE("a federated server's categories as one source") {
  auto doc = parseCategories(kFederatedCategories, XmlLimits{});
  REQUIRE(doc);
  const EndpointPresence e = endpointFromCategories(*doc);
  CHECK(e.dialect == Dialect::MsCategories);
  CHECK(e.availability == 6500);
  CHECK(e.activity.token == "in-a-meeting");
  CHECK(e.note->text == "Ask me about Confab");
  CHECK(e.calendar->meeting_subject == "Budget");
  REQUIRE(e.ms_categories.size() == 1);
  CHECK(e.ms_categories[0].name == "contactCard");
}

TEST_CASE("device instance ids are stable FNV-1a hashes") {
  CHECK(deviceInstanceFor("") == 2166136261U);
  CHECK(deviceInstanceFor("a") == 0xe40c292cU);
  CHECK(deviceInstanceFor("C707E38E") == deviceInstanceFor("C707E38E"));
  CHECK(deviceInstanceFor("C707E38E") != deviceInstanceFor("C707E38F"));
}

}  // namespace
}  // namespace core::presence
