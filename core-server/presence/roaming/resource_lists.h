// SPDX-License-Identifier: Apache-2.0
// RFC 4826 resource-lists: the contact list in the standard clients' format
// (what an XCAP resource-lists document or an RLS service list holds).
//   <resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
//     <list name="Friends"><display-name>Friends</display-name>
//       <entry uri="sip:bob@example.com"><display-name>Bob</display-name></entry>
//     </list>
//   </resource-lists>
// One <list> per group (the default group is named "~" as on the MS side), one
// <entry> per membership: a contact in two groups appears in both lists.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core-server/presence/roaming/contact_list.h"
#include "core-server/presence/xml_limits.h"
#include "proxy/base/result.h"

namespace core::presence::roaming {

std::string renderResourceLists(const ContactList& list);

// A resource-lists document a client stores, made the whole content of `list`:
// groups are matched by name (created, kept or deleted), contacts by URI (added,
// modified or deleted), in that order, one ContactListDelta per step that
// changed something. Top-level <list name> elements are groups; entries of
// nested lists count for their top-level list; entry-ref and external are
// ignored. 400s: malformed/hostile XML, a wrong root or namespace, a top-level
// list without name, an entry without uri; then ContactList's errors (the list
// keeps the steps applied before the failing one).
proxy::Result<std::vector<ContactListDelta>> applyResourceLists(ContactList& list,
                                                                std::string_view xml,
                                                                const XmlLimits& xml_limits,
                                                                const ContactListLimits& limits);

}  // namespace core::presence::roaming
