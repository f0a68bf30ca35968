// SPDX-License-Identifier: Apache-2.0
// Internal to proxy/sip: character classes and small scanners for the RFC 3261
// §25.1 grammar, shared by the message, URI, name-addr and Via parsers. Pure
// functions over string_views; nothing allocates (beyond a long ParamList).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"
#include "proxy/sip/param_list.h"

namespace proxy::sip::detail {

enum CharClass : uint16_t {
  kToken = 1,  // token (RFC 3261 §25.1)
  kDigit = 2,
  kHex = 4,
  kUriChar = 8,      // unreserved / reserved / "%" / "[" / "]": anything a SIP URI may hold
  kHostChar = 16,    // hostname and IPv4 characters (plus "_", seen in the wild)
  kSchemeChar = 32,  // ALPHA / DIGIT / "+" / "-" / "."
  kAlpha = 64,
  kListSpecial = 128,   // , " < > \ : the octets a list-header splitter must look at
  kOpaqueChar = 256,    // not CTL, SP or < > " (octets >= 0x80 are in): absoluteURI text
  kGenValueEnd = 512,   // LWS ; , " : where an unquoted generic-param value ends
  kUriParamEnd = 1024,  // ; ? = : where a uri-parameter name or value ends
  // kUriChar minus the octets that end a part of a SIP URI:
  kUserChar = 2048,      // minus : @ (user)
  kPasswordChar = 4096,  // minus @ (password)
  kUriParamChar = 8192,  // minus ; ? = (uri-parameter name or value)
  kWs = 16384,           // SP HTAB CR LF
};

constexpr bool oneOf(int c, std::string_view set) {
  return set.find(static_cast<char>(c)) != std::string_view::npos;
}

constexpr std::array<uint16_t, 256> makeCharClasses() {
  std::array<uint16_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    const bool hex = digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    uint16_t v = 0;
    v |= alpha ? (kAlpha | kToken | kUriChar | kHostChar | kSchemeChar) : 0;
    v |= digit ? (kDigit | kToken | kUriChar | kHostChar | kSchemeChar) : 0;
    v |= hex ? kHex : 0;
    v |= oneOf(c, "-.!%*_+`'~") ? kToken : 0;
    v |= oneOf(c, "-_.!~*'();/?:@&=+$,%[]") ? kUriChar : 0;
    v |= oneOf(c, "-._") ? kHostChar : 0;
    v |= oneOf(c, "+-.") ? kSchemeChar : 0;
    v |= oneOf(c, ",\"<>\\") ? kListSpecial : 0;
    v |= (c > 0x20 && c != 0x7f && !oneOf(c, "<>\"")) ? kOpaqueChar : 0;
    v |= oneOf(c, " \t\r\n;,\"") ? kGenValueEnd : 0;
    v |= oneOf(c, ";?=") ? kUriParamEnd : 0;
    const bool uri_char = (v & kUriChar) != 0;
    v |= (uri_char && !oneOf(c, ":@")) ? kUserChar : 0;
    v |= (uri_char && c != '@') ? kPasswordChar : 0;
    v |= (uri_char && !oneOf(c, ";?=")) ? kUriParamChar : 0;
    v |= oneOf(c, " \t\r\n") ? kWs : 0;
    t[static_cast<size_t>(c)] = v;
  }
  return t;
}

inline constexpr std::array<uint16_t, 256> kCharClasses = makeCharClasses();

inline bool is(char c, CharClass cls) {
  return (kCharClasses[static_cast<unsigned char>(c)] & cls) != 0;
}
inline bool isToken(char c) { return is(c, kToken); }
inline bool isDigit(char c) { return is(c, kDigit); }
inline bool isWs(char c) { return is(c, kWs); }

// True when `s` is non-empty and made of token characters only.
bool isTokenString(std::string_view s);

// Index of the first character at or after `i` whose membership in `cls` is
// `member` (s.size() when there is none). Four octets per bounds check: these
// scans are most of the work of parsing a URI or a header line.
template <bool member>
inline size_t scanWhile(std::string_view s, size_t i, CharClass cls) {
  for (; i + 4 <= s.size(); i += 4) {
    if (is(s[i], cls) != member) return i;
    if (is(s[i + 1], cls) != member) return i + 1;
    if (is(s[i + 2], cls) != member) return i + 2;
    if (is(s[i + 3], cls) != member) return i + 3;
  }
  while (i < s.size() && is(s[i], cls) == member) {
    ++i;
  }
  return i;
}

// Index of the first character at or after `i` not in `cls` (s.size() at the end).
inline size_t scanClass(std::string_view s, size_t i, CharClass cls) {
  return scanWhile<true>(s, i, cls);
}

// Index of the first character at or after `i` in `cls` (s.size() at the end).
inline size_t findClass(std::string_view s, size_t i, CharClass cls) {
  return scanWhile<false>(s, i, cls);
}

// Index of the first non-LWS character at or after `i` (s.size() at the end).
inline size_t skipWs(std::string_view s, size_t i) {
  while (i < s.size() && isWs(s[i])) {
    ++i;
  }
  return i;
}

// End of the token starting at `i` (== i when there is none).
inline size_t scanToken(std::string_view s, size_t i) { return scanClass(s, i, kToken); }

// s[open] is '"'. Returns the index of the closing quote, honouring quoted-pair
// escapes (RFC 3261 §25.1), or npos when the string is unterminated.
size_t findQuoteEnd(std::string_view s, size_t open);

// The internal parse steps below return nullptr on success, or a static text
// saying why the input is malformed, which the public parse() functions turn
// into a 400 Error: cheaper than building a Result at every step.

// Parses `*( SEMI generic-param )` from s[i..] to the end of s (RFC 3261 §25.1,
// SEMI = SWS ";" SWS). Quoted values are returned without their quotes.
const char* parseParams(std::string_view s, size_t i, ParamList& out);

// A decimal port 1-65535 (nullopt otherwise). Inline: every URI and Via with a port.
inline std::optional<uint16_t> parsePort(std::string_view s) {
  if (s.empty() || s.size() > 5) {
    return std::nullopt;
  }
  uint32_t value = 0;
  for (char c : s) {
    if (!isDigit(c)) {
      return std::nullopt;
    }
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(value);
}

// "[v6]" (hex, ':' and '.' inside) or a non-empty run of host characters.
bool isValidHost(std::string_view host);

// Compares two %-escaped strings as if both were unescaped (RFC 3261 §19.1.4).
bool unescapedEquals(std::string_view a, std::string_view b, bool case_insensitive);

// Decodes %HH escapes, keeping invalid ones literally.
std::string unescapeString(std::string_view s);
void appendUnescaped(std::string& out, std::string_view s);

}  // namespace proxy::sip::detail
