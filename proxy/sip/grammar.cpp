// SPDX-License-Identifier: Apache-2.0
#include "proxy/sip/grammar.h"

#include <cstring>

#include "proxy/base/strings.h"

namespace proxy::sip::detail {

bool isTokenString(std::string_view s) { return !s.empty() && scanToken(s, 0) == s.size(); }

size_t findQuoteEnd(std::string_view s, size_t open) {
  // memchr to the next quote, then to any backslash before it: quoted strings
  // (digest nonces and responses, display names) are long and rarely escaped.
  const char* data = s.data();
  size_t i = open + 1;
  while (i < s.size()) {
    const auto* quote = static_cast<const char*>(std::memchr(data + i, '"', s.size() - i));
    if (quote == nullptr) {
      return std::string_view::npos;
    }
    const size_t close = static_cast<size_t>(quote - data);
    const auto* escape = static_cast<const char*>(std::memchr(data + i, '\\', close - i));
    if (escape == nullptr) {
      return close;
    }
    i = static_cast<size_t>(escape - data) + 2;  // quoted-pair: the next octet is literal, even '"'
  }
  return std::string_view::npos;
}

namespace {

// gen-value = token / host / quoted-string. Host values ("[::1]") hold more than
// token characters, so an unquoted value runs to the next separator.
const char* parseParamValue(std::string_view s, size_t& i, Param& p) {
  if (i < s.size() && s[i] == '"') {
    const size_t close = findQuoteEnd(s, i);
    if (close == std::string_view::npos) {
      return "Unterminated quoted parameter value";
    }
    p.value = s.substr(i + 1, close - i - 1);
    p.quoted = true;
    i = close + 1;
  } else {
    const size_t end = findClass(s, i, kGenValueEnd);
    if (end == i) {
      return "Empty parameter value";
    }
    p.value = s.substr(i, end - i);
    i = end;
  }
  p.has_value = true;
  return nullptr;
}

}  // namespace

const char* parseParams(std::string_view s, size_t i, ParamList& out) {
  for (;;) {
    i = skipWs(s, i);
    if (i >= s.size()) {
      return nullptr;
    }
    if (s[i] != ';') {
      return "Unexpected text before parameter";
    }
    i = skipWs(s, i + 1);
    const size_t name_end = scanToken(s, i);
    if (name_end == i) {
      return "Empty or malformed parameter name";  // RFC 4475 badinv01
    }
    Param p;
    p.name = s.substr(i, name_end - i);
    i = skipWs(s, name_end);
    if (i < s.size() && s[i] == '=') {
      i = skipWs(s, i + 1);
      if (const char* error = parseParamValue(s, i, p)) {
        return error;
      }
    }
    out.add(p);
  }
}

bool isValidHost(std::string_view host) {
  if (host.empty()) {
    return false;
  }
  if (host.front() == '[') {
    // IPv6reference (RFC 3261 §25.1): at least "[::]".
    if (host.size() < 4 || host.back() != ']') {
      return false;
    }
    bool colon = false;
    for (char c : host.substr(1, host.size() - 2)) {
      if (!is(c, kHex) && c != ':' && c != '.') {
        return false;
      }
      colon = colon || c == ':';
    }
    return colon;
  }
  for (char c : host) {
    if (!is(c, kHostChar)) {
      return false;
    }
  }
  return true;
}

namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  return asciiLower(c) - 'a' + 10;
}

// Yields the octets of an escaped string one at a time, decoding %HH.
struct Unescaper {
  std::string_view s;
  size_t i = 0;
  bool next(char& out) {
    if (i >= s.size()) {
      return false;
    }
    if (s[i] == '%' && i + 2 < s.size() && is(s[i + 1], kHex) && is(s[i + 2], kHex)) {
      out = static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2]));
      i += 3;
    } else {
      out = s[i++];
    }
    return true;
  }
};

}  // namespace

bool unescapedEquals(std::string_view a, std::string_view b, bool case_insensitive) {
  Unescaper x{a}, y{b};
  char ca = 0;
  char cb = 0;
  for (;;) {
    const bool more_a = x.next(ca);
    const bool more_b = y.next(cb);
    if (more_a != more_b) {
      return false;
    }
    if (!more_a) {
      return true;
    }
    if (case_insensitive ? asciiLower(ca) != asciiLower(cb) : ca != cb) {
      return false;
    }
  }
}

void appendUnescaped(std::string& out, std::string_view s) {
  if (s.find('%') == std::string_view::npos) {
    out.append(s);  // nothing to decode: the usual case
    return;
  }
  Unescaper u{s};
  char c = 0;
  while (u.next(c)) {
    out.push_back(c);
  }
}

std::string unescapeString(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  appendUnescaped(out, s);
  return out;
}

}  // namespace proxy::sip::detail
