// SPDX-License-Identifier: Apache-2.0
// Provisioning v2: the request sipe sends and the answer read the way
// sipe_process_provisioning_v2() reads it.
#include <doctest/doctest.h>

#include "core-server/presence/roaming/provisioning.h"
#include "core-server/presence/roaming/roaming_testing.h"

namespace core::presence::roaming {
namespace {

using testing::attr;
using testing::parseOk;
using testing::sipeChild;
using testing::sipeChildren;

// sipe-subscriptions.c sipe_subscribe_roaming_provisioning_v2().
constexpr std::string_view kSipeRequest =
    "<provisioningGroupList "
    "xmlns=\"http://schemas.microsoft.com/2006/09/sip/provisioninggrouplist\">"
    " <provisioningGroup name=\"ServerConfiguration\"/>"
    " <provisioningGroup name=\"meetingPolicy\"/>"
    " <provisioningGroup name=\"persistentChatConfiguration\"/>"
    " <provisioningGroup name=\"ucPolicy\"/>"
    "</provisioningGroupList>";

std::vector<std::string> sipeGroups() {
  auto r = parseProvisioningGroupList(kSipeRequest, XmlLimits{});
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().detail));
  return *r;
}

// What sipe does with a persistentChatConfiguration group.
std::string sipePoolUri(const XmlElement& root) {
  for (XmlElement group : sipeChildren(root, "provisionGroup")) {
    if (attr(group, "name") != "persistentChatConfiguration") {
      continue;
    }
    bool enabled = false;
    std::string uri;
    for (XmlElement p : sipeChildren(group, "propertyEntryList/property")) {
      if (attr(p, "name") == "EnablePersistentChat") {
        enabled = p.text() == "true";
      } else if (attr(p, "name") == "DefaultPersistentChatPoolUri") {
        uri = p.text();
      }
    }
    return enabled ? uri : std::string("<disabled>");
  }
  return "<absent>";
}

TEST_CASE("sipe's provisioningGroupList request") {
  CHECK(sipeGroups() == std::vector<std::string>{"ServerConfiguration", "meetingPolicy",
                                                 "persistentChatConfiguration", "ucPolicy"});
  auto empty = parseProvisioningGroupList("", XmlLimits{});
  REQUIRE(empty.ok());
  CHECK(empty->size() == 4);
}

TEST_CASE("the answer carries the persistent-chat pool URI where sipe reads it") {
  ProvisioningConfig config;
  config.domain = "contoso.com";
  config.focus_factory_uri = "sip:alice@contoso.com;gruu;opaque=app:conf:focusfactory";
  const XmlDocument doc = parseOk(renderProvisioningV2(config, sipeGroups()));
  const XmlElement root = doc.root();
  CHECK(root.is("http://schemas.microsoft.com/2006/09/sip/provisiongrouplist-notification",
                "provisionGroupList"));
  const auto groups = sipeChildren(root, "provisionGroup");
  REQUIRE(groups.size() == 4);
  CHECK(attr(groups[0], "name") == "ServerConfiguration");
  CHECK(attr(groups[1], "name") == "meetingPolicy");
  CHECK(attr(groups[3], "name") == "ucPolicy");
  CHECK(sipePoolUri(root) == "sip:ocschat@contoso.com");
  CHECK(sipeChild(groups[0], "focusFactoryUri")->text() == config.focus_factory_uri);
  CHECK(sipeChild(groups[0], "ucPC2PCAVEncryption")->text() == "SupportEncryption");
  CHECK(sipeChild(groups[0], "ucPortRangeEnabled")->text() == "false");
  CHECK_FALSE(sipeChild(groups[0], "dlxInternalUrl").has_value());  // empty values left out

  config.persistent_chat_pool_uri = "sip:chatpool@chat.contoso.com";
  CHECK(sipePoolUri(parseOk(renderProvisioningV2(config, sipeGroups())).root()) ==
        "sip:chatpool@chat.contoso.com");
  config.persistent_chat_enabled = false;
  CHECK(sipePoolUri(parseOk(renderProvisioningV2(config, sipeGroups())).root()) == "<disabled>");
}

TEST_CASE("only requested, known groups are answered; extra properties are written") {
  ProvisioningConfig config;
  config.domain = "x.com";
  config.extra_properties = {{"meetingPolicy", {{"AllowIPAudio", "false"}}}};
  const XmlDocument doc =
      parseOk(renderProvisioningV2(config, {"meetingPolicy", "privacyPublicationGrammar"}));
  const auto groups = sipeChildren(doc.root(), "provisionGroup");
  REQUIRE(groups.size() == 1);
  const auto props = sipeChildren(groups[0], "propertyEntryList/property");
  REQUIRE(props.size() == 1);
  CHECK(attr(props[0], "name") == "AllowIPAudio");
  CHECK(props[0].text() == "false");
}

TEST_CASE("bad provisioning requests") {
  auto wrong_ns = parseProvisioningGroupList(
      R"(<provisioningGroupList xmlns="urn:x"><provisioningGroup name="a"/></provisioningGroupList>)",
      XmlLimits{});
  REQUIRE_FALSE(wrong_ns);
  CHECK(wrong_ns.error().detail ==
        "provisioning: root element must be "
        "{http://schemas.microsoft.com/2006/09/sip/provisioninggrouplist}provisioningGroupList, "
        "got {urn:x}provisioningGroupList");
  auto no_name = parseProvisioningGroupList(
      R"(<provisioningGroupList xmlns="http://schemas.microsoft.com/2006/09/sip/provisioninggrouplist"><provisioningGroup/></provisioningGroupList>)",
      XmlLimits{});
  REQUIRE_FALSE(no_name);
  CHECK(no_name.error().detail == "provisioning: <provisioningGroup> without name");
  CHECK(parseProvisioningGroupList("<a>", XmlLimits{}).error().status == 400);
}

}  // namespace
}  // namespace core::presence::roaming
