// SPDX-License-Identifier: Apache-2.0
// Message-intrinsic checks a proxy or registrar makes before processing a
// message (RFC 3261 §8.2, §16.3): required and single-valued header fields,
// CSeq sanity, Request-URI scheme, parsable addresses. Policy checks (loops,
// Max-Forwards reaching zero, authentication) belong to the routing stages.
// Pure functions over a parsed SipMessage; callable from any thread.
#pragma once

#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"
#include "proxy/sip/sip_message.h"

namespace proxy::sip {

// OK, or the error to answer with: 400 (reason names the problem, e.g.
// "Missing Call-ID"), 416 (Request-URI scheme other than sip/sips/tel) or 501
// (unknown method whose CSeq names another method, RFC 4475 mismatch02).
Result<void> validateRequest(const SipMessage& request);

// OK, or status 0: a response missing or mangling Via/From/To/Call-ID/CSeq
// cannot be matched to a transaction and is dropped (RFC 4475 scalarlg).
Result<void> validateResponse(const SipMessage& response);

// Option tags from Require and Proxy-Require not in `supported`
// (case-insensitive, duplicates removed). Non-empty means answer 420 with them
// in Unsupported (RFC 3261 §8.2.2.3, RFC 4475 bext01). ACK and CANCEL are never
// rejected for this, so they always yield an empty list.
std::vector<std::string_view> unsupportedRequires(const SipMessage& request,
                                                  std::initializer_list<std::string_view> supported);
std::vector<std::string_view> unsupportedRequires(const SipMessage& request,
                                                  std::span<const std::string_view> supported);

}  // namespace proxy::sip
