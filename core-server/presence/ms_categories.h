// SPDX-License-Identifier: Apache-2.0
// MS-PRES enhanced-presence category documents at the document level:
// application/msrtc-category-publish+xml (the SERVICE body a Lync/OCS client
// publishes with) and application/msrtc-event-categories+xml (the NOTIFY body a
// federated OCS server sends us). The categories we model (state, note, device)
// are decoded; every category also keeps its payload as a raw, self-contained XML
// fragment so contactCard, calendarData, userProperties and unknown ones pass
// through untouched. ms_mapping.h folds them into the canonical model.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core-server/presence/presence_model.h"
#include "core-server/presence/xml_limits.h"
#include "proxy/base/result.h"

namespace core::presence {

// PROTOCOLS.md (b): static (user-set), endpoint (dies with the registration),
// user and time (MS-PRES; not used by sipe).
enum class ExpireType : uint8_t { Static, Endpoint, User, Time };

// The xsi:type of a <state>: who published it and how aggregation uses it.
enum class StateKind : uint8_t { Other, User, Machine, Calendar, Phone, Aggregate };

struct MsState {
  StateKind kind = StateKind::Other;
  std::string type;  // xsi:type as written, prefix stripped ("userState")
  bool manual = false;
  Availability availability = kAvailabilityUnknown;  // 0 when <availability> is absent
  Activity activity;  // <activity token min/maxAvailability><custom lang>
  std::string endpoint_location;
  std::string meeting_subject;
  std::string meeting_location;
  std::string device;       // <device> of aggregate states ("Mobile"...)
  int64_t start_time = 0;   // startTime attribute
  int64_t last_active = 0;  // lastActive attribute (aggregateState)

  bool operator==(const MsState&) const = default;
};

// One <publication> of a publish body, or one <category> of a categories document.
struct CategoryPublication {
  std::string name;  // categoryName / name
  uint32_t instance = 0;
  uint32_t container = 0;
  uint32_t version = 0;
  ExpireType expire_type = ExpireType::Static;
  std::optional<uint32_t> expires;  // seconds; 0 removes the publication
  int64_t publish_time = 0;         // categories documents only
  std::string xml;                  // payload element(s), self-contained; "" when empty

  std::optional<MsState> state;      // name == "state"
  std::optional<Note> note;          // name == "note" with a <body>
  std::optional<DeviceInfo> device;  // name == "device"

  bool removes() const { return expires.has_value() && *expires == 0; }
  bool operator==(const CategoryPublication&) const = default;
};

struct CategoryPublish {
  std::string uri;  // <publications uri>: must be the publisher's own AOR
  std::vector<CategoryPublication> publications;
};

// Errors are 400s naming the problem: malformed or hostile XML, a root other than
// {http://schemas.microsoft.com/2006/09/sip/rich-presence}publish, a publication
// missing categoryName/instance/container/version/expireType, a number that is
// not one, an unknown expireType, a modelled payload in the wrong namespace.
proxy::Result<CategoryPublish> parseCategoryPublish(std::string_view xml, const XmlLimits& limits);

struct CategoriesDocument {
  std::string uri;
  std::vector<CategoryPublication> categories;
};

// {http://schemas.microsoft.com/2006/09/sip/categories}categories, as a federated
// OCS/Lync server sends it in NOTIFY/BENOTIFY.
proxy::Result<CategoriesDocument> parseCategories(std::string_view xml, const XmlLimits& limits);

std::string_view expireTypeName(ExpireType type);

}  // namespace core::presence
