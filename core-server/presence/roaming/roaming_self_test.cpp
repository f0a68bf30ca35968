// SPDX-License-Identifier: Apache-2.0
// Roaming self: the roamingList request and the roamingData answer read the way
// sipe_ocs2007_process_roaming_self() reads it.
#include <doctest/doctest.h>

#include "core-server/presence/roaming/roaming_self.h"
#include "core-server/presence/roaming/roaming_testing.h"

namespace core::presence::roaming {
namespace {

using testing::attr;
using testing::parseOk;
using testing::sipeChild;
using testing::sipeChildren;

// PROTOCOLS.md (b) / MS-PRES §4.4.1, roamingEx included.
constexpr std::string_view kRequest =
    R"(<roamingList xmlns="http://schemas.microsoft.com/2006/09/sip/roaming-self">
  <roaming type="categories"/>
  <roaming type="containers"/>
  <roaming type="subscribers"/>
  <roamingEx xmlns="http://schemas.microsoft.com/2007/09/sip/roaming-self-ex" type="delegates"/>
</roamingList>)";

RoamingSelf sample() {
  RoamingSelf self;
  self.uri = "sip:alice@contoso.com";
  self.categories.push_back(MsCategoryInstance{
      "state", 536870912, 2, 22, 1284474377,
      R"(<state xmlns="http://schemas.microsoft.com/2006/09/sip/state" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" manual="true" xsi:type="userState"><availability>15500</availability></state>)"});
  self.categories.push_back(MsCategoryInstance{
      "device", 1938468728, 2, 1, 0,
      R"(<device xmlns="http://schemas.microsoft.com/2006/09/sip/device" endpointId="C707"/>)"});
  self.categories.push_back(MsCategoryInstance{"note", 0, 200, 3, 0, ""});
  self.containers.push_back(
      RoamingContainer{200, 4, {{"sameEnterprise", ""}, {"user", "bob@contoso.com"}}});
  self.containers.push_back(RoamingContainer{32000, 1, {{"domain", "spam.example"}}});
  self.subscribers.push_back(
      RoamingSubscriber{"sip:carol@fabrikam.com", "Carol \"C\"", false, "federated"});
  self.subscribers.push_back(RoamingSubscriber{"sip:bob@contoso.com", "Bob", true, ""});
  return self;
}

TEST_CASE("the roamingList request") {
  auto all = parseRoamingList(kRequest, XmlLimits{});
  REQUIRE_MESSAGE(all.ok(), (all.ok() ? "" : all.error().detail));
  CHECK(*all == RoamingSelfSections{true, true, true});
  auto some = parseRoamingList(
      R"(<roamingList xmlns="http://schemas.microsoft.com/2006/09/sip/roaming-self"><roaming type="subscribers"/></roamingList>)",
      XmlLimits{});
  REQUIRE(some.ok());
  CHECK(*some == RoamingSelfSections{false, false, true});
  CHECK(*parseRoamingList("", XmlLimits{}) == RoamingSelfSections{true, true, true});

  auto wrong =
      parseRoamingList(R"(<roamingList><roaming type="categories"/></roamingList>)", XmlLimits{});
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().detail ==
        "roaming-self: root element must be "
        "{http://schemas.microsoft.com/2006/09/sip/roaming-self}roamingList, got roamingList");
  auto no_type = parseRoamingList(
      R"(<roamingList xmlns="http://schemas.microsoft.com/2006/09/sip/roaming-self"><roaming/></roamingList>)",
      XmlLimits{});
  REQUIRE_FALSE(no_type);
  CHECK(no_type.error().detail == "roaming-self: <roaming> without type");
}

TEST_CASE("roamingData: categories with versions, containers with members, subscribers") {
  const XmlDocument doc = parseOk(renderRoamingSelf(sample(), {true, true, true}));
  const XmlElement root = doc.root();
  CHECK(root.is("http://schemas.microsoft.com/2006/09/sip/roaming-self", "roamingData"));

  auto categories = sipeChild(root, "categories");
  REQUIRE(categories.has_value());
  CHECK(categories->ns() == "http://schemas.microsoft.com/2006/09/sip/categories");
  CHECK(attr(*categories, "uri") == "sip:alice@contoso.com");
  const auto cats = sipeChildren(root, "categories/category");
  REQUIRE(cats.size() == 3);
  CHECK(attr(cats[0], "name") == "state");
  CHECK(attr(cats[0], "instance") == "536870912");
  CHECK(attr(cats[0], "container") == "2");
  CHECK(attr(cats[0], "version") == "22");
  CHECK(attr(cats[0], "publishTime") == "2010-09-14T14:26:17Z");
  auto state = sipeChild(cats[0], "state");
  REQUIRE(state.has_value());
  CHECK(state->attribute("type", "http://www.w3.org/2001/XMLSchema-instance") == "userState");
  CHECK(sipeChild(*state, "availability")->text() == "15500");
  CHECK(attr(cats[1], "name") == "device");  // sipe counts endpoints (MPOP) from these
  CHECK(attr(cats[2], "name") == "note");
  CHECK_FALSE(cats[2].hasElementChildren());

  const auto containers = sipeChildren(root, "containers/container");
  REQUIRE(containers.size() == 2);
  CHECK(containers[0].ns() == "http://schemas.microsoft.com/2006/09/sip/container-management");
  CHECK(attr(containers[0], "id") == "200");
  CHECK(attr(containers[0], "version") == "4");
  const auto members = sipeChildren(containers[0], "member");
  REQUIRE(members.size() == 2);
  CHECK(attr(members[0], "type") == "sameEnterprise");
  CHECK(attr(members[0], "value") == "<absent>");
  CHECK(attr(members[1], "type") == "user");
  CHECK(attr(members[1], "value") == "bob@contoso.com");

  const auto subscribers = sipeChildren(root, "subscribers/subscriber");
  REQUIRE(subscribers.size() == 2);
  CHECK(subscribers[0].ns() == "http://schemas.microsoft.com/2006/09/sip/presence-subscribers");
  CHECK(attr(subscribers[0], "user") == "carol@fabrikam.com");  // sipe prepends "sip:"
  CHECK(attr(subscribers[0], "displayName") == "Carol \"C\"");
  CHECK(attr(subscribers[0], "acknowledged") == "false");
  CHECK(attr(subscribers[0], "type") == "federated");
  CHECK(attr(subscribers[1], "acknowledged") == "true");
  CHECK(attr(subscribers[1], "type") == "<absent>");
}

TEST_CASE("only the sections asked for are written") {
  const XmlDocument doc = parseOk(renderRoamingSelf(sample(), {false, false, true}));
  CHECK_FALSE(sipeChild(doc.root(), "categories").has_value());
  CHECK_FALSE(sipeChild(doc.root(), "containers").has_value());
  CHECK(sipeChildren(doc.root(), "subscribers/subscriber").size() == 2);
}

}  // namespace
}  // namespace core::presence::roaming
