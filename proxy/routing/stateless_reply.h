// SPDX-License-Identifier: Apache-2.0
// Answers for requests that did not parse. A request the parser rejected still
// deserves a response naming the problem (RFC 3261 §8.2, RFC 4475 §3.1.2) when
// it carries what a response needs: Via, From, To, Call-ID and CSeq. This scans
// the raw bytes leniently for those lines; without a Via there is nobody to
// answer and the caller drops and counts the message.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace proxy::routing {

// Builds "SIP/2.0 <status> <reason>" echoing the request's Via/From/To/Call-ID/
// CSeq lines. Returns nullopt when the bytes are a response or carry no Via.
// The reason is sanitized (printable ASCII, bounded length).
std::optional<std::string> buildReplyFromRaw(std::string_view raw, int status,
                                             std::string_view reason);

}  // namespace proxy::routing
