// SPDX-License-Identifier: Apache-2.0
// Internal to proxy/sip: character classes and small scanners for the RFC 3261
// §25.1 grammar, shared by the message, URI, name-addr and Via parsers. Pure
// functions over string_views; nothing allocates except parseParams' vector.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"
#include "proxy/sip/uri.h"

namespace proxy::sip::detail {

enum CharClass : uint8_t {
  kToken = 1,       // token (RFC 3261 §25.1)
  kDigit = 2,
  kHex = 4,
  kUriChar = 8,     // unreserved / reserved / "%" / "[" / "]": anything a SIP URI may hold
  kHostChar = 16,   // hostname and IPv4 characters (plus "_", seen in the wild)
  kSchemeChar = 32, // ALPHA / DIGIT / "+" / "-" / "."
  kAlpha = 64,
  kListSpecial = 128,  // , " < > \ : the octets a list-header splitter must look at
};

constexpr bool oneOf(int c, std::string_view set) {
  return set.find(static_cast<char>(c)) != std::string_view::npos;
}

constexpr std::array<uint8_t, 256> makeCharClasses() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    const bool hex = digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    uint8_t v = 0;
    v |= alpha ? (kAlpha | kToken | kUriChar | kHostChar | kSchemeChar) : 0;
    v |= digit ? (kDigit | kToken | kUriChar | kHostChar | kSchemeChar) : 0;
    v |= hex ? kHex : 0;
    v |= oneOf(c, "-.!%*_+`'~") ? kToken : 0;
    v |= oneOf(c, "-_.!~*'();/?:@&=+$,%[]") ? kUriChar : 0;
    v |= oneOf(c, "-._") ? kHostChar : 0;
    v |= oneOf(c, "+-.") ? kSchemeChar : 0;
    v |= oneOf(c, ",\"<>\\") ? kListSpecial : 0;
    t[static_cast<size_t>(c)] = v;
  }
  return t;
}

inline constexpr std::array<uint8_t, 256> kCharClasses = makeCharClasses();

inline bool is(char c, CharClass cls) {
  return (kCharClasses[static_cast<unsigned char>(c)] & cls) != 0;
}
inline bool isToken(char c) { return is(c, kToken); }
inline bool isDigit(char c) { return is(c, kDigit); }
inline bool isWs(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// True when `s` is non-empty and made of token characters only.
bool isTokenString(std::string_view s);

// Index of the first non-LWS character at or after `i` (s.size() at the end).
inline size_t skipWs(std::string_view s, size_t i) {
  while (i < s.size() && isWs(s[i])) {
    ++i;
  }
  return i;
}

// End of the token starting at `i` (== i when there is none).
inline size_t scanToken(std::string_view s, size_t i) {
  while (i < s.size() && isToken(s[i])) {
    ++i;
  }
  return i;
}

// s[open] is '"'. Returns the index of the closing quote, honouring quoted-pair
// escapes (RFC 3261 §25.1), or npos when the string is unterminated.
size_t findQuoteEnd(std::string_view s, size_t open);

// Parses `*( SEMI generic-param )` from s[i..] to the end of s (RFC 3261 §25.1,
// SEMI = SWS ";" SWS). Quoted values are returned without their quotes.
Result<void> parseParams(std::string_view s, size_t i, std::vector<Param>& out);

// A decimal port 1-65535 (nullopt otherwise).
std::optional<uint16_t> parsePort(std::string_view s);

// "[v6]" (hex, ':' and '.' inside) or a non-empty run of host characters.
bool isValidHost(std::string_view host);

// Compares two %-escaped strings as if both were unescaped (RFC 3261 §19.1.4).
bool unescapedEquals(std::string_view a, std::string_view b, bool case_insensitive);

// Decodes %HH escapes, keeping invalid ones literally.
std::string unescapeString(std::string_view s);

}  // namespace proxy::sip::detail
