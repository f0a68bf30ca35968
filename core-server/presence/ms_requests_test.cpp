// SPDX-License-Identifier: Apache-2.0
// The other MS-PRES request and response bodies: batchSub, setContainerMembers
// and the 409 WrongDelta fault.
#include <doctest/doctest.h>

#include "core-server/presence/ms_batch_subscribe.h"
#include "core-server/presence/ms_container_members.h"
#include "core-server/presence/ms_fault.h"
#include "core-server/presence/xml_tree.h"

namespace core::presence {
namespace {

// PROTOCOLS.md (b), as sipe_subscribe_presence_batched_to() sends it.
constexpr std::string_view kProtocolsBatchSub =
    R"(<batchSub xmlns="http://schemas.microsoft.com/2006/01/sip/batch-subscribe" uri="sip:alice@contoso.com" name="">
  <action name="subscribe" id="63792024">
    <adhocList>
      <resource uri="sip:bob@contoso.com"/>
      <resource uri="sip:carol@fabrikam.com"><context/></resource>
    </adhocList>
    <categoryList xmlns="http://schemas.microsoft.com/2006/09/sip/categorylist">
      <category name="calendarData"/><category name="contactCard"/>
      <category name="note"/><category name="state"/>
    </categoryList>
  </action>
</batchSub>)";

TEST_CASE("the batchSub body from PROTOCOLS.md") {
  auto r = parseBatchSubscribe(kProtocolsBatchSub, XmlLimits{});
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().detail));
  CHECK(r->uri == "sip:alice@contoso.com");
  CHECK(r->name.empty());
  REQUIRE(r->actions.size() == 1);
  const BatchAction& a = r->actions[0];
  CHECK(a.name == "subscribe");
  CHECK(a.id == "63792024");
  CHECK(a.resources == std::vector<BatchResource>{{"sip:bob@contoso.com", false},
                                                  {"sip:carol@fabrikam.com", true}});
  CHECK(a.categories == std::vector<std::string>{"calendarData", "contactCard", "note", "state"});
}

TEST_CASE("batchSub errors") {
  auto no_uri = parseBatchSubscribe(
      R"(<batchSub xmlns="http://schemas.microsoft.com/2006/01/sip/batch-subscribe" uri="sip:a@b">)"
      R"(<action name="subscribe" id="1"><adhocList><resource/></adhocList></action></batchSub>)",
      XmlLimits{});
  REQUIRE_FALSE(no_uri);
  CHECK(no_uri.error().detail == "batchSub: <resource> without uri");

  auto wrong_list = parseBatchSubscribe(
      R"(<batchSub xmlns="http://schemas.microsoft.com/2006/01/sip/batch-subscribe" uri="sip:a@b">)"
      R"(<action name="subscribe" id="1"><categoryList><category name="state"/></categoryList>)"
      R"(</action></batchSub>)",
      XmlLimits{});
  REQUIRE_FALSE(wrong_list);
  CHECK(wrong_list.error().detail ==
        "batchSub: <categoryList> must be in namespace "
        "http://schemas.microsoft.com/2006/09/sip/categorylist, got "
        "{http://schemas.microsoft.com/2006/01/sip/batch-subscribe}categoryList");

  auto wrong_root = parseBatchSubscribe(
      R"(<adhoclist xmlns="urn:ietf:params:xml:ns:adrl" uri="sip:a@b"/>)", XmlLimits{});
  REQUIRE_FALSE(wrong_root);
  CHECK(wrong_root.error().detail ==
        "batchSub: root element must be "
        "{http://schemas.microsoft.com/2006/01/sip/batch-subscribe}batchSub, got "
        "{urn:ietf:params:xml:ns:adrl}adhoclist");
}

TEST_CASE("setContainerMembers as sipe sends it") {
  auto r = parseSetContainerMembers(
      R"(<setContainerMembers xmlns="http://schemas.microsoft.com/2006/09/sip/container-management">)"
      R"(<container id="200" version="3"><member action="add" type="user" value="sip:bob@contoso.com"/>)"
      R"(<member action="remove" type="domain" value="fabrikam.com"/></container>)"
      R"(<container id="32000"><member action="add" type="everyone"/></container>)"
      R"(</setContainerMembers>)",
      XmlLimits{});
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().detail));
  REQUIRE(r->containers.size() == 2);
  CHECK(r->containers[0].id == 200);
  CHECK(r->containers[0].version == 3U);
  CHECK(r->containers[0].members ==
        std::vector<ContainerMember>{{MemberAction::Add, MemberType::User, "sip:bob@contoso.com"},
                                     {MemberAction::Remove, MemberType::Domain, "fabrikam.com"}});
  CHECK(r->containers[1].id == 32000);
  CHECK_FALSE(r->containers[1].version);
  CHECK(r->containers[1].members[0].type == MemberType::Everyone);

  for (MemberType t : {MemberType::User, MemberType::Domain, MemberType::SameEnterprise,
                       MemberType::Federated, MemberType::PublicCloud, MemberType::Everyone}) {
    CHECK_FALSE(memberTypeName(t).empty());
  }
}

TEST_CASE("setContainerMembers errors") {
  auto check = [](std::string_view container, std::string_view expected) {
    const std::string xml =
        R"(<setContainerMembers xmlns="http://schemas.microsoft.com/2006/09/sip/container-management">)" +
        std::string(container) + "</setContainerMembers>";
    auto r = parseSetContainerMembers(xml, XmlLimits{});
    REQUIRE_FALSE(r);
    CHECK(r.error().status == 400);
    CHECK(r.error().detail == expected);
  };
  check(R"(<container id="x"/>)", "setContainerMembers: container id \"x\" is not a number");
  check(R"(<container id="200" version="v"/>)",
        "setContainerMembers: container 200: version is not a number");
  check(R"(<container id="200"><member action="grant" type="user" value="sip:a@b"/></container>)",
        "setContainerMembers: unknown member action \"grant\"");
  check(R"(<container id="200"><member action="add" type="group" value="x"/></container>)",
        "setContainerMembers: unknown member type \"group\"");
  check(R"(<container id="200"><member action="add" type="user"/></container>)",
        "setContainerMembers: a user member needs a value");
}

TEST_CASE("the 409 WrongDelta fault body") {
  const PublicationConflict conflicts[] = {{1, 22, 23}, {3, 0, 5}};
  const std::string body = renderWrongDeltaFault(conflicts);
  CHECK(body ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Fault><Faultcode>Client.BadCall.WrongDelta</Faultcode><details>"
        R"(<operation index="1" version="22" curVersion="23"/>)"
        R"(<operation index="3" version="0" curVersion="5"/>)"
        "</details></Fault>");
  // It reads the way sipe reads it: Faultcode, then details/operation@index/@curVersion.
  auto doc = XmlDocument::parse(body, XmlLimits{});
  REQUIRE(doc);
  CHECK(doc->root().firstChild("", "Faultcode")->text() == "Client.BadCall.WrongDelta");
  auto details = doc->root().firstChild("", "details");
  REQUIRE(details);
  std::vector<std::string> seen;
  for (XmlElement op : details->children()) {
    seen.push_back(std::string(*op.attribute("index")) + ":" +
                   std::string(*op.attribute("curVersion")));
  }
  CHECK(seen == std::vector<std::string>{"1:23", "3:5"});
}

}  // namespace
}  // namespace core::presence
