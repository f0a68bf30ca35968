// SPDX-License-Identifier: Apache-2.0
// Known header names as an enum, so lookups on the hot path compare integers.
// Compact forms (RFC 3261 §7.3.3 and registered ones) map to the same ids.
#pragma once

#include <cstdint>
#include <string_view>

namespace proxy::sip {

enum class HeaderName : uint8_t {
  Other = 0,  // anything not listed: compare by name
  Accept, AcceptEncoding, AcceptLanguage, AlertInfo, Allow, AllowEvents, AuthenticationInfo,
  Authorization, CallId, CallInfo, Contact, ContentDisposition, ContentEncoding,
  ContentLanguage, ContentLength, ContentType, CSeq, Date, ErrorInfo, Event, Expires, From,
  InReplyTo, MaxForwards, MinExpires, MimeVersion, Organization, Path, Priority,
  ProxyAuthenticate, ProxyAuthorization, ProxyRequire, RecordRoute, ReferTo, ReferredBy,
  ReplyTo, Require, RetryAfter, Route, Server, SessionExpires, SipETag, SipIfMatch, Subject,
  SubscriptionState, Supported, Timestamp, To, Unsupported, UserAgent, Via, Warning,
  WwwAuthenticate, MsKeepAlive, Count_
};

// Maps a header name as received (any case, long or compact) to its id.
HeaderName lookupHeaderName(std::string_view name);

// The canonical long spelling used when we serialize ("Call-ID", "CSeq", "WWW-Authenticate").
std::string_view canonicalHeaderName(HeaderName name);

// One bit per HeaderName, for sets of names (every id, Count_ included, fits 64 bits).
constexpr uint64_t headerBit(HeaderName name) { return uint64_t{1} << static_cast<unsigned>(name); }
static_assert(static_cast<unsigned>(HeaderName::Count_) < 64);

// Headers whose comma-separated values are split into separate fields at parse
// time (Via, Route, Record-Route, Contact, Path), so each field holds one value.
// Only the headers a proxy edits per value: option-tag lists (Require,
// Supported, ...) are not split, see SipMessage::tokens(). Inline: the parser
// asks once per header line.
constexpr bool isListHeader(HeaderName name) {
  constexpr uint64_t kListHeaders = headerBit(HeaderName::Via) | headerBit(HeaderName::Route) |
                                    headerBit(HeaderName::RecordRoute) |
                                    headerBit(HeaderName::Contact) | headerBit(HeaderName::Path);
  return (kListHeaders & headerBit(name)) != 0;
}

}  // namespace proxy::sip
