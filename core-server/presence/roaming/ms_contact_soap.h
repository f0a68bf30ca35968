// SPDX-License-Identifier: Apache-2.0
// The contact-management SOAP requests an OCS-dialect client sends in SERVICE
// with Content-Type application/SOAP+xml (MS-SIP §2.2.4.2; sip-soap.c
// sip_soap_request_full):
//   <s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"
//               xmlns:m="http://schemas.microsoft.com/winrtc/2002/11/sip">
//     <s:Body><m:METHOD>...<m:deltaNum>N</m:deltaNum></m:METHOD></s:Body></s:Envelope>
// with METHOD and its elements as sipe sends them:
//   setContact    m:displayName m:groups("1 3") m:subscribed m:URI m:externalURI
//                 [m:contactExtension]                            (sipe-group.c send_buddy_update)
//   deleteContact m:URI                                           (sipe-buddy.c
//   sipe_core_buddy_remove) addGroup      m:name m:externalURI (sipe-group.c sipe_group_create)
//   modifyGroup   m:groupID m:name m:externalURI                  (sipe_core_group_rename)
//   deleteGroup   m:groupID                                       (sipe_core_group_remove)
// Each becomes one ContactList operation. The 200 OK has no body except for
// addGroup, whose body carries the new group's id: sipe reads
// Body/addGroup/groupID (sipe-group.c process_add_group_response).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core-server/presence/roaming/contact_list.h"
#include "core-server/presence/xml_limits.h"
#include "proxy/base/result.h"

namespace core::presence::roaming {

enum class ContactSoapMethod : uint8_t {
  SetContact,
  DeleteContact,
  AddGroup,
  ModifyGroup,
  DeleteGroup
};

struct ContactSoapRequest {
  ContactSoapMethod method = ContactSoapMethod::SetContact;
  std::optional<uint32_t> delta_num;  // the client's idea of the list's number (informational)
  Contact contact;                    // setContact (uri not yet normalised)
  std::string uri;                    // deleteContact
  uint32_t group_id = 0;              // modifyGroup, deleteGroup
  std::string group_name;             // addGroup, modifyGroup
  std::string external_uri;           // addGroup, modifyGroup
};

// 400s: malformed/hostile XML, a root other than {soap}Envelope, no Body, a
// method element outside the winrtc namespace, a missing or malformed required
// element (URI, groupID, name, a group id that is not a number, subscribed not
// a boolean). 501 for the MS-SIP methods we do not serve (setACE: LCS 2005 ACLs,
// directorySearch: address book search), naming the method.
proxy::Result<ContactSoapRequest> parseContactSoap(std::string_view xml, const XmlLimits& limits);

std::string_view contactSoapMethodName(ContactSoapMethod method);

struct ContactSoapOutcome {
  ContactListDelta delta;     // what to send to the list's subscribers; empty = no NOTIFY
  std::string response_body;  // the 200 OK body (application/SOAP+xml); "" = none
};

// Applies the request to `list`. addGroup with the name of an existing group
// answers with that group's id and changes nothing, so a client that lost track
// of a group (sipe creates "~" when it sees none) still gets a usable id.
// Errors are ContactList's.
proxy::Result<ContactSoapOutcome> applyContactSoap(ContactList& list,
                                                   const ContactSoapRequest& request,
                                                   const ContactListLimits& limits);

// <SOAP-ENV:Envelope ...><SOAP-ENV:Body><m:addGroup><m:groupID>N</m:groupID>
// </m:addGroup></SOAP-ENV:Body></SOAP-ENV:Envelope>
std::string renderAddGroupResponse(uint32_t group_id);

}  // namespace core::presence::roaming
