// SPDX-License-Identifier: Apache-2.0
// How requests and responses find their transaction (RFC 3261 §17.1.3, §17.2.3).
// Keys are flat strings used in the TransactionLayer's hash maps; the "method"
// argument lets an ACK or CANCEL look up the INVITE it belongs to. Pure
// functions over a parsed message; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "proxy/sip/sip_message.h"

namespace proxy::transaction {

// Server key for `request` as if its method were `method`:
// - RFC 3261 §17.2.3: top Via branch + sent-by + method, when the branch has the magic cookie;
// - RFC 2543 fallback otherwise: Request-URI, To tag, From tag, Call-ID, CSeq number and
//   top Via. For an ACK the To tag is the one of our final response, so an INVITE server
//   transaction registers a second key carrying that tag once it sends a final response.
// nullopt when the request lacks what the key needs (no Via, bad CSeq, ...).
std::optional<std::string> serverKey(const sip::SipMessage& request, std::string_view method);

// The same RFC 2543 key built from `request` but with `to_tag` (the tag of a response).
// The tag is the key's last part: legacyServerKey(r, m, "") + tag == legacyServerKey(r, m, tag).
std::optional<std::string> legacyServerKey(const sip::SipMessage& request, std::string_view method,
                                           std::string_view to_tag);

// Client key (RFC 3261 §17.1.3): our branch + the CSeq method.
std::string clientKey(std::string_view branch, std::string_view method);

// The client key of a response, or nullopt when it has no usable Via/CSeq.
std::optional<std::string> clientKeyOfResponse(const sip::SipMessage& response);

}  // namespace proxy::transaction
