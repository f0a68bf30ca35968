// SPDX-License-Identifier: Apache-2.0
// The messages a client transaction makes up by itself: the ACK for a non-2xx
// final response (RFC 3261 §17.1.1.3), the CANCEL of an INVITE (§9.1) and the
// synthetic responses delivered on timeout (408) or transport failure (503).
// Pure functions over the request we sent; any thread.
#pragma once

#include <optional>
#include <string>

#include "proxy/sip/sip_message.h"

namespace proxy::transaction {

// RFC 3261 §17.1.1.3: Request-URI, the single top Via, Call-ID, From and Route of
// the INVITE, To of the response (with its tag), CSeq number with method ACK.
std::string buildAck(const sip::SipMessage& invite, const sip::SipMessage& response);

// RFC 3261 §9.1: Request-URI, top Via (same branch), Call-ID, From, To and Route of
// the INVITE, CSeq number with method CANCEL.
std::string buildCancel(const sip::SipMessage& invite);

// A response to `request` made here rather than received (RFC 3261 §17.1.1.2 408,
// §8.1.3.1 503, §9.1 487). nullopt only if the request cannot be answered at all.
std::optional<sip::SipMessage> buildSyntheticResponse(const sip::SipMessage& request, int status);

}  // namespace proxy::transaction
