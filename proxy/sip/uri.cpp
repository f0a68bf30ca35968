// SPDX-License-Identifier: Apache-2.0
// SIP-URI / SIPS-URI parsing (RFC 3261 §19.1.1, §25.1). One left-to-right pass
// over the text; the Uri keeps views into it.
#include "proxy/sip/uri.h"

#include <algorithm>

#include "proxy/base/strings.h"
#include "proxy/sip/grammar.h"

namespace proxy::sip {

using detail::is;

namespace {

// Case-insensitive, with a cheap exact-match test per octet first: parameter
// names are nearly always written in the case we look them up in.
bool sameName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i] && asciiLower(a[i]) != asciiLower(b[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace

const Param* findParam(std::span<const Param> params, std::string_view name) {
  for (const Param& p : params) {
    if (sameName(p.name, name)) {
      return &p;
    }
  }
  return nullptr;
}

const Param* findParam(const std::vector<Param>& params, std::string_view name) {
  return findParam(std::span<const Param>(params), name);
}

std::string unescape(std::string_view s) { return detail::unescapeString(s); }

namespace {

// scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ); returns the index of ':'.
size_t schemeEnd(std::string_view text) {
  if (text.empty() || !is(text[0], detail::kAlpha)) {
    return std::string_view::npos;
  }
  const size_t i = detail::scanClass(text, 1, detail::kSchemeChar);
  return (i < text.size() && text[i] == ':') ? i : std::string_view::npos;
}

// "sip" or "sips" in any case (c | 0x20 lowercases a letter and maps no other
// octet onto one).
bool isSipScheme(std::string_view scheme) {
  const auto lower = [&](size_t i) { return static_cast<char>(scheme[i] | 0x20); };
  return (scheme.size() == 3 || (scheme.size() == 4 && lower(3) == 's')) && lower(0) == 's' &&
         lower(1) == 'i' && lower(2) == 'p';
}

constexpr const char* kInvalidChar = "Invalid character in SIP URI";

// uri-parameters = *( ";" uri-parameter ), each "pname [ = pvalue ]", non-empty.
// Stops at the first octet that is neither a parameter's nor a separator.
const char* parseUriParams(std::string_view s, size_t& i, ParamList& out) {
  while (i < s.size() && s[i] == ';') {
    const size_t begin = ++i;
    i = detail::scanClass(s, i, detail::kUriParamChar);
    if (i == begin) {
      return "Empty URI parameter";
    }
    Param p;
    p.name = s.substr(begin, i - begin);
    if (i < s.size() && s[i] == '=') {
      const size_t value_begin = ++i;
      i = detail::scanClass(s, i, detail::kUriParamChar);
      if (i == value_begin || (i < s.size() && s[i] == '=')) {
        return "Malformed URI parameter value";
      }
      p.value = s.substr(value_begin, i - value_begin);
      p.has_value = true;
    }
    out.add(p);
  }
  return nullptr;
}

}  // namespace

// Parses the part after "sip:" / "sips:". The grammar checks the character set
// first, so when the structure is wrong the error names an invalid character
// if there is one anywhere.
const char* Uri::parseSipPart(std::string_view rest) {
  const char* error = parseSipComponents(rest);
  if (error != nullptr && detail::scanClass(rest, 0, detail::kUriChar) != rest.size()) {
    return kInvalidChar;
  }
  return error;
}

// userinfo, host, port, params and headers in one pass. Every scan admits only
// URI characters, so a URI that parses holds nothing else.
// Folded into parseSipPart(), its one caller (as parseHostPort() is into it):
// the calls cost more than the bookkeeping they would save.
[[gnu::always_inline]] const char* Uri::parseSipComponents(std::string_view rest) {
  // userinfo ends at the first '@' (neither user nor password may hold a raw
  // one); without an '@' there is none and the ':' seen was the port's.
  size_t i = detail::scanClass(rest, 0, detail::kUserChar);
  size_t colon = std::string_view::npos;
  if (i < rest.size() && rest[i] == ':') {
    colon = i;
    i = detail::scanClass(rest, i + 1, detail::kPasswordChar);
  }
  if (i < rest.size() && rest[i] != '@') {
    return kInvalidChar;
  }
  if (i < rest.size()) {
    user_ = rest.substr(0, std::min(colon, i));
    if (colon != std::string_view::npos) {
      password_ = rest.substr(colon + 1, i - colon - 1);
    }
    if (user_.empty()) {
      return "Empty user part in SIP URI";
    }
    ++i;
  } else {
    i = 0;  // no userinfo
  }
  if (const char* error = parseHostPort(rest, i)) {
    return error;
  }
  if (const char* error = parseUriParams(rest, i, params_)) {
    return error;
  }
  if (i < rest.size() && rest[i] == '?') {
    headers_ = rest.substr(i + 1);
    i = detail::scanClass(rest, i + 1, detail::kUriChar);
  }
  if (i != rest.size()) {
    return "Unexpected character in SIP URI";
  }
  return nullptr;
}

// Folded into parseSipComponents(), its one caller: it runs for every URI.
[[gnu::always_inline]] const char* Uri::parseHostPort(std::string_view rest, size_t& i) {
  const size_t begin = i;
  if (i < rest.size() && rest[i] == '[') {
    const size_t close = rest.find(']', i);
    if (close == std::string_view::npos) {
      return "Unterminated IPv6 reference in SIP URI";
    }
    i = close + 1;
    host_ = rest.substr(begin, i - begin);
    if (!detail::isValidHost(host_)) {
      return "Invalid host in SIP URI";
    }
  } else {
    i = detail::scanClass(rest, i, detail::kHostChar);
    host_ = rest.substr(begin, i - begin);
    if (host_.empty()) {  // the scan admitted host characters only
      return "Invalid host in SIP URI";
    }
  }
  if (i < rest.size() && rest[i] == ':') {
    const size_t port_begin = ++i;
    i = detail::scanClass(rest, i, detail::kDigit);
    auto port = detail::parsePort(rest.substr(port_begin, i - port_begin));
    if (!port) {
      return "Invalid port in SIP URI";
    }
    port_ = *port;
  }
  return nullptr;
}

const char* Uri::parseText(std::string_view text) {
  const size_t colon = schemeEnd(text);
  if (colon == std::string_view::npos) {
    return "Malformed URI scheme";
  }
  text_ = text;
  scheme_ = text.substr(0, colon);
  sip_ = isSipScheme(scheme_);
  const std::string_view rest = text.substr(colon + 1);
  if (sip_) {
    return parseSipPart(rest);
  }
  // absoluteURI (RFC 3261 §25.1): kept opaque so the caller can answer 416.
  if (rest.empty()) {
    return "Empty URI";
  }
  if (detail::scanClass(rest, 0, detail::kOpaqueChar) != rest.size()) {
    return "Invalid character in URI";
  }
  opaque_ = rest;
  return nullptr;
}

// Parsed in place inside the Result (returned without a copy): a Uri is a
// few hundred bytes, mostly its inline parameters.
Result<Uri> Uri::parse(std::string_view text) {
  Result<Uri> result = Uri();
  if (const char* error = result->parseText(text)) {
    result = makeError(400, error);
  }
  return result;
}

std::string Uri::aor() const {
  if (!sip_) {
    return std::string(text_);
  }
  std::string out;
  out.reserve(user_.size() + 1 + host_.size());  // unescaping only shortens the user
  if (!user_.empty()) {
    detail::appendUnescaped(out, user_);
    out.push_back('@');
  }
  const size_t host_begin = out.size();
  out.append(host_);
  for (size_t i = host_begin; i < out.size(); ++i) {
    out[i] = asciiLower(out[i]);
  }
  return out;
}

}  // namespace proxy::sip
