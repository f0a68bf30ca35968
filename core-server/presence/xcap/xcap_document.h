// SPDX-License-Identifier: Apache-2.0
// The XCAP view of a contact list: a resource-lists document (RFC 4826) with one
// <list name> per group (the default group is "~", as on the MS side) and one <entry uri>
// with its <display-name> per contact in that group. Node operations edit this value; the
// result becomes the contact list through applyResourceLists (groups matched by name,
// contacts by URI), so XCAP, SOAP and the eventlist share one model and its rules.
// Conflicts are 409 errors whose detail starts with the xcap-error element name
// ("constraint-failure: ..."), see xcap_errors.h.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core-server/presence/roaming/contact_list.h"
#include "core-server/presence/xml_limits.h"
#include "proxy/base/result.h"

namespace core::presence::xcap {

inline constexpr std::string_view kResourceListsNs = "urn:ietf:params:xml:ns:resource-lists";
inline constexpr std::string_view kResourceListsType = "application/resource-lists+xml";
inline constexpr std::string_view kElementType = "application/xcap-el+xml";

struct XcapEntry {
  std::string uri;  // normalised (roaming::normalizeContactUri)
  std::string display_name;
  bool operator==(const XcapEntry&) const = default;
};

struct XcapList {
  std::string name;
  std::vector<XcapEntry> entries;
  bool operator==(const XcapList&) const = default;
};

struct XcapDocument {
  std::vector<XcapList> lists;
  bool operator==(const XcapDocument&) const = default;

  XcapList* list(std::string_view name);
  size_t entryCount() const;
};

XcapDocument documentOf(const roaming::ContactList& contacts);

std::string renderDocument(const XcapDocument& doc);
// Elements as GET of a node selector returns them (xmlns declared on the element).
std::string renderListElement(const XcapList& list);
std::string renderEntryElement(const XcapEntry& entry);

// Client bodies. 409 not-well-formed (also hostile XML: DOCTYPE, entities, too deep, too
// big), not-xml-frag (an element body that is not one element), schema-validation-error
// (wrong root or namespace, a list without name, an entry without or with an invalid uri),
// uniqueness-failure (two lists with one name, one URI twice in a list).
proxy::Result<XcapDocument> parseDocument(std::string_view xml, const XmlLimits& limits);
proxy::Result<XcapList> parseListElement(std::string_view xml, const XmlLimits& limits);
proxy::Result<XcapEntry> parseEntryElement(std::string_view xml, const XmlLimits& limits);

// Makes `contacts` hold `doc`: the deltas for the roaming-contacts subscribers. Errors are
// 409 constraint-failure (ContactList's limits and rules).
proxy::Result<std::vector<roaming::ContactListDelta>> applyDocument(
    roaming::ContactList& contacts, const XcapDocument& doc,
    const roaming::ContactListLimits& limits);

}  // namespace core::presence::xcap
