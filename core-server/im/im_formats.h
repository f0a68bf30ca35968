// SPDX-License-Identifier: Apache-2.0
// The small texts the IM bridge reads and writes, translated between the two
// dialects (PROTOCOLS.md §(c)): RFC 3994 isComposing <-> OCS KeyboardActivity,
// the ms-text-format header that carries the first message of an OCS session,
// the `m=message ... sip null` SDP, and which dialect a registered endpoint
// speaks. Pure functions; bad input gives nullopt, never a crash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace core::im {

inline constexpr std::string_view kIsComposingType = "application/im-iscomposing+xml";
inline constexpr std::string_view kKeyboardActivityType = "application/xml";

// RFC 3994 <state>: true = active (typing), false = idle. nullopt: not an isComposing body.
std::optional<bool> parseIsComposing(std::string_view xml);
std::string buildIsComposing(bool active);

// OCS <KeyboardActivity><status status="type|idle"/>: true = typing.
std::optional<bool> parseKeyboardActivity(std::string_view xml);
std::string buildKeyboardActivity(bool typing);

// multipart/alternative (RFC 2046 §5.1.4): the same text in several types,
// plainest first. Standard clients get it as it is; where one type is needed
// (the ms-text-format of an OCS session's first message) one part is chosen.
inline constexpr std::string_view kMultipartAlternative = "multipart/alternative";
struct BodyPart {
  std::string content_type;  // "text/plain" when the part names none
  std::string body;
};
// The parts of a multipart/* body; nullopt when it is not one or is malformed
// (no boundary, no closing delimiter).
std::optional<std::vector<BodyPart>> splitMultipart(std::string_view content_type,
                                                    std::string_view body);
// The last (richest) part whose media type is one of `acceptable` (lower case);
// nullopt when there is none or the body is not multipart/alternative.
std::optional<BodyPart> chooseAlternative(std::string_view content_type, std::string_view body,
                                          const std::vector<std::string_view>& acceptable);

// "text/plain; charset=UTF-8;ms-body=<base64>" for the INVITE that opens a session.
// A multipart/alternative message goes as its text/html (else text/plain) part.
std::string buildMsTextFormat(std::string_view content_type, std::string_view body);
struct InlineMessage {
  std::string content_type;  // without the ms-body / msgr parameters
  std::string body;
};
std::optional<InlineMessage> parseMsTextFormat(std::string_view value);

// True for the media line of an OCS IM session: "m=message <port> sip null" (or LCS
// "m=x-ms-message ..."), not MSRP's "m=message <port> TCP/MSRP *" (RFC 4975).
bool isOcsMediaLine(std::string_view line);

// The SDP offer/answer of an OCS IM session, for our address `ip`.
std::string imSessionSdp(std::string_view ip);
// True when `sdp` is parseable and offers a `message` (or LCS `x-ms-message`) media line.
bool offersImSession(std::string_view sdp);

// OCS-dialect endpoints chat in INVITE sessions, not page mode. Recognised from what
// the registrar keeps of their REGISTER: the User-Agent and the Contact params
// (their `methods=` list names BENOTIFY).
bool isSessionModeEndpoint(std::string_view user_agent, std::string_view contact_params);

// RFC 7231 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") for a Date header.
std::string httpDate(int64_t unix_seconds);

std::string base64Encode(std::string_view data);
std::optional<std::string> base64Decode(std::string_view text);

}  // namespace core::im
