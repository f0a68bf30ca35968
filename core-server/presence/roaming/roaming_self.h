// SPDX-License-Identifier: Apache-2.0
// vnd-microsoft-roaming-self (MS-PRES §4.4): what a signing-in client learns
// about its own account. The SUBSCRIBE body says which sections it wants:
//   <roamingList xmlns="http://schemas.microsoft.com/2006/09/sip/roaming-self">
//     <roaming type="categories"/><roaming type="containers"/><roaming type="subscribers"/>
//   </roamingList>
// and the NOTIFY body (application/vnd-microsoft-roaming-self+xml) is
//   <roamingData xmlns=".../roaming-self">
//     <categories xmlns=".../categories" uri="sip:alice@.."><category name instance
//         publishTime container version>payload</category>..</categories>
//     <containers xmlns=".../container-management"><container id version>
//         <member type value/>..</container>..</containers>
//     <subscribers xmlns=".../presence-subscribers"><subscriber user displayName
//         acknowledged [type]/>..</subscribers>
//   </roamingData>
// read by sipe-ocs2007.c sipe_ocs2007_process_roaming_self(): categories give
// the client its own publications' versions (it republishes with them), device
// categories count its endpoints (MPOP), containers/container/member give its
// ACLs (sipe adds sameEnterprise to 200 and federated to 100 when absent), and a
// subscriber with acknowledged="false" makes it ask the user and answer with
// setSubscribers. subscriber/@user carries no "sip:" (sipe prepends it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core-server/presence/presence_model.h"
#include "core-server/presence/xml_limits.h"
#include "proxy/base/result.h"

namespace core::presence::roaming {

struct RoamingSelfSections {
  bool categories = false;
  bool containers = false;
  bool subscribers = false;

  bool operator==(const RoamingSelfSections&) const = default;
};

// An empty body asks for all three sections. Unknown roaming types (roamingEx
// delegates...) are ignored. 400s: malformed/hostile XML, a wrong root, a
// <roaming> without type.
proxy::Result<RoamingSelfSections> parseRoamingList(std::string_view xml, const XmlLimits& limits);

struct RoamingMember {
  std::string type;   // user, domain, sameEnterprise, federated, publicCloud, everyone
  std::string value;  // "" for the types without one

  bool operator==(const RoamingMember&) const = default;
};

struct RoamingContainer {
  uint32_t id = 0;
  uint32_t version = 0;
  std::vector<RoamingMember> members;

  bool operator==(const RoamingContainer&) const = default;
};

struct RoamingSubscriber {
  std::string uri;  // "sip:bob@example.com"; written without the scheme
  std::string display_name;
  bool acknowledged = false;  // false: the user has not yet been asked about this watcher
  std::string type;           // MS-PRES: sameEnterprise, federated, publicCloud, unknown; "" = omit

  bool operator==(const RoamingSubscriber&) const = default;
};

struct RoamingSelf {
  std::string uri;                             // the user's own AOR
  std::vector<MsCategoryInstance> categories;  // the user's publications, with versions
  std::vector<RoamingContainer> containers;
  std::vector<RoamingSubscriber> subscribers;
};

// Only the sections asked for are written; a cleared category (empty xml) is
// written as an empty <category> with its key and version.
std::string renderRoamingSelf(const RoamingSelf& self, const RoamingSelfSections& sections);

}  // namespace core::presence::roaming
