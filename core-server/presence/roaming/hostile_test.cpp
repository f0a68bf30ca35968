// SPDX-License-Identifier: Apache-2.0
// Every parser of this library against the same hostile bodies: entity
// declarations, nesting past the depth bound, bodies past the size bound,
// truncated XML and binary junk. Each must answer 400 with a reason.
#include <doctest/doctest.h>

#include <functional>

#include "core-server/presence/roaming/contact_list.h"
#include "core-server/presence/roaming/ms_contact_soap.h"
#include "core-server/presence/roaming/ms_roaming_contacts.h"
#include "core-server/presence/roaming/provisioning.h"
#include "core-server/presence/roaming/resource_lists.h"
#include "core-server/presence/roaming/rlmi.h"
#include "core-server/presence/roaming/roaming_self.h"
#include "core-server/presence/roaming/watcherinfo.h"

namespace core::presence::roaming {
namespace {

using Parser = std::function<proxy::Error(std::string_view)>;

template <typename R>
proxy::Error errorOf(const R& r) {
  REQUIRE_FALSE(r.ok());
  return r.error();
}

std::vector<std::pair<const char*, Parser>> parsers() {
  const XmlLimits limits;
  return {
      {"soap", [limits](std::string_view x) { return errorOf(parseContactSoap(x, limits)); }},
      {"roaming contacts",
       [limits](std::string_view x) {
         return errorOf(parseRoamingContacts(x, limits, ContactListLimits{}));
       }},
      {"provisioning",
       [limits](std::string_view x) { return errorOf(parseProvisioningGroupList(x, limits)); }},
      {"roamingList",
       [limits](std::string_view x) { return errorOf(parseRoamingList(x, limits)); }},
      {"watcherinfo",
       [limits](std::string_view x) { return errorOf(parseWatcherInfo(x, limits)); }},
      {"rlmi", [limits](std::string_view x) { return errorOf(parseRlmi(x, limits)); }},
      {"resource-lists",
       [limits](std::string_view x) {
         ContactList list;
         auto r = applyResourceLists(list, x, limits, ContactListLimits{});
         CHECK(list.deltaNum() == 1);
         return errorOf(r);
       }},
  };
}

std::vector<std::pair<const char*, std::string>> hostileBodies() {
  std::string laughs =
      R"(<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">)"
      R"(<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><a>&lol2;</a>)";
  std::string external =
      R"(<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>)";
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "<a>";
  for (int i = 0; i < 40; ++i) deep += "</a>";
  std::string huge = "<a>" + std::string(65 * 1024, 'x') + "</a>";
  std::string many = "<a>";
  for (int i = 0; i < 5000; ++i) many += "<b/>";
  many += "</a>";
  return {{"billion laughs", laughs},
          {"external entity", external},
          {"deep", deep},
          {"huge", huge},
          {"many elements", many},
          {"truncated", "<a><b>"},
          {"junk", std::string("\x00\xff\xfe<", 4)}};
}

TEST_CASE("hostile bodies are 400s with a reason for every parser") {
  for (const auto& parser : parsers()) {
    for (const auto& body : hostileBodies()) {
      const std::string what = std::string(parser.first) + " / " + body.first;
      CAPTURE(what);
      const proxy::Error e = parser.second(body.second);
      CHECK(e.status == 400);
      CHECK_FALSE(e.detail.empty());
    }
  }
}

}  // namespace
}  // namespace core::presence::roaming
