// SPDX-License-Identifier: Apache-2.0
// application/vnd-microsoft-roaming-contacts+xml (MS-SIP §2.2.4.1): the full
// <contactList> an OCS server sends in the first NOTIFY (or the 200 OK of a
// piggybacked SUBSCRIBE) of a vnd-microsoft-roaming-contacts subscription, and
// the <contactDelta> it sends after each change. Shapes follow what sipe reads
// in sipe-notify.c sipe_process_roaming_contacts():
//  - no namespace on the root; deltaNum non-zero;
//  - no ucsmode attribute: sipe would take it for Lync 2013 and, for
//    ucsmode="migrated", look for the list in Exchange instead;
//  - full-list contact URIs WITHOUT "sip:" (sipe prepends it), delta URIs WITH it
//    (sipe uses them as-is to find its buddies);
//  - group "~" is the default group, shown as "Other Contacts".
#pragma once

#include <string>
#include <string_view>

#include "core-server/presence/roaming/contact_list.h"
#include "core-server/presence/xml_limits.h"
#include "proxy/base/result.h"

namespace core::presence::roaming {

// <contactList deltaNum="N"><group id name externalURI/>...
//   <contact uri name groups="1 3" subscribed externalURI>[<contactExtension>..]</contact>
// </contactList>
std::string renderContactList(const ContactList& list);

// <contactDelta deltaNum="N" prevDeltaNum="N-1"> addedGroup, modifiedGroup,
// addedContact, modifiedContact, deletedGroup id, deletedContact uri (MS-SIP order).
std::string renderContactDelta(const ContactListDelta& delta);

// Either document read back (round trips; a list exported from an OCS server).
struct RoamingContactsDocument {
  bool full = true;        // <contactList>; false: <contactDelta>
  ContactList list;        // full
  ContactListDelta delta;  // delta (delta_num = its deltaNum)
};

// 400s: malformed/hostile XML, another root, a missing or zero deltaNum, a
// group without a numeric id, a contact without uri, a non-numeric group id;
// for full lists also what ContactList::restore refuses.
proxy::Result<RoamingContactsDocument> parseRoamingContacts(std::string_view xml,
                                                            const XmlLimits& xml_limits,
                                                            const ContactListLimits& limits);

}  // namespace core::presence::roaming
