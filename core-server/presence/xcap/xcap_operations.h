// SPDX-License-Identifier: Apache-2.0
// One XCAP operation (RFC 4825 §7-8) on a user's contact list, as a pure function: GET,
// PUT or DELETE of the document, a list or an entry, under the request's conditions.
// The document's ETag is a hash of its rendering, so it only changes with the content
// and stays the same across restarts. Conditions (If-Match, If-None-Match) are checked
// against the document before anything else: 412 on a mismatch, 304 for a GET whose
// If-None-Match matches. Success: 200 (201 when a PUT created the node) with the new
// ETag; 404 when the selector matches nothing; 409 with an xcap-error document.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core-server/presence/roaming/contact_list.h"
#include "core-server/presence/xcap/xcap_path.h"
#include "core-server/presence/xml_limits.h"

namespace core::presence::xcap {

struct XcapLimits {
  XmlLimits xml;                        // client bodies (max_bytes: the largest document)
  roaming::ContactListLimits contacts;  // max_groups / max_contacts: lists / entries per user
  size_t max_entries = 1000;            // entries over all lists
};

struct XcapConditions {
  std::string if_match;       // "" = none, "*" or a list of quoted ETags
  std::string if_none_match;  // "" = none, "*" or a list of quoted ETags
};

struct XcapOutcome {
  unsigned status = 200;
  std::string content_type;
  std::string body;
  std::string etag;  // the document's ETag after the operation; "" when there is none
  // Set when the operation changed the list: the list to store and what changed.
  std::optional<roaming::ContactList> next;
  std::vector<roaming::ContactListDelta> deltas;
};

// `current`: the user's contact list, nullptr when the user has none (no document).
XcapOutcome runXcap(std::string_view method, const NodeSelector& node, std::string_view body,
                    const XcapConditions& conditions, const roaming::ContactList* current,
                    const XcapLimits& limits);

// "\"<hex>\"": the strong ETag of the list's resource-lists document.
std::string documentEtag(const roaming::ContactList& contacts);

// True when `header` (an If-Match / If-None-Match value) names `etag` or is "*".
bool etagMatches(std::string_view header, std::string_view etag);

}  // namespace core::presence::xcap
