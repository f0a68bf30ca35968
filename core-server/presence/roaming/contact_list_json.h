// SPDX-License-Identifier: Apache-2.0
// The storage form of a contact list: one compact JSON object,
// {"v":1,"deltaNum":7,"groups":[{"id":1,"name":"~","externalURI":""}],
//  "contacts":[{"uri":"sip:bob@example.com","name":"","groups":[1],"subscribed":true,
//               "externalURI":"","extension":""}]}
// nlohmann-json stays inside the .cpp.
#pragma once

#include <string>
#include <string_view>

#include "core-server/presence/roaming/contact_list.h"
#include "proxy/base/result.h"

namespace core::presence::roaming {

std::string contactListToJson(const ContactList& list);

// Errors are 500s (stored data we cannot read): not JSON, wrong types, an
// unknown format version, or a list ContactList::restore rejects.
proxy::Result<ContactList> contactListFromJson(std::string_view json,
                                               const ContactListLimits& limits);

}  // namespace core::presence::roaming
