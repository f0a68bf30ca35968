// SPDX-License-Identifier: Apache-2.0
// SIP-URI / SIPS-URI parsing (RFC 3261 §19.1.1, §25.1). One left-to-right pass
// over the text; the Uri keeps views into it.
#include "proxy/sip/uri.h"

#include "proxy/base/strings.h"
#include "proxy/sip/grammar.h"

namespace proxy::sip {

using detail::is;

const Param* findParam(const std::vector<Param>& params, std::string_view name) {
  for (const Param& p : params) {
    if (iequals(p.name, name)) {
      return &p;
    }
  }
  return nullptr;
}

std::string unescape(std::string_view s) { return detail::unescapeString(s); }

namespace {

Error uriError(std::string detail) { return makeError(400, std::move(detail)); }

// scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ); returns the index of ':'.
size_t schemeEnd(std::string_view text) {
  if (text.empty() || !is(text[0], detail::kAlpha)) {
    return std::string_view::npos;
  }
  size_t i = 1;
  while (i < text.size() && is(text[i], detail::kSchemeChar)) {
    ++i;
  }
  return (i < text.size() && text[i] == ':') ? i : std::string_view::npos;
}

bool isOpaqueChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u != 0x7f && c != '<' && c != '>' && c != '"';
}

// uri-parameters = *( ";" uri-parameter ), each "pname [ = pvalue ]", non-empty.
Result<void> parseUriParams(std::string_view s, size_t& i, std::vector<Param>& out) {
  while (i < s.size() && s[i] == ';') {
    const size_t begin = ++i;
    while (i < s.size() && s[i] != ';' && s[i] != '?' && s[i] != '=') {
      ++i;
    }
    if (i == begin) {
      return uriError("Empty URI parameter");
    }
    Param p;
    p.name = s.substr(begin, i - begin);
    if (i < s.size() && s[i] == '=') {
      const size_t value_begin = ++i;
      while (i < s.size() && s[i] != ';' && s[i] != '?' && s[i] != '=') {
        ++i;
      }
      if (i == value_begin || (i < s.size() && s[i] == '=')) {
        return uriError("Malformed URI parameter value");
      }
      p.value = s.substr(value_begin, i - value_begin);
      p.has_value = true;
    }
    out.push_back(p);
  }
  return {};
}

}  // namespace

// Parses the part after "sip:" / "sips:" into user, password, host, port,
// params and headers.
Result<void> Uri::parseSipPart(std::string_view rest) {
  for (char c : rest) {
    if (!is(c, detail::kUriChar)) {
      return uriError("Invalid character in SIP URI");
    }
  }
  size_t i = 0;
  // userinfo ends at the first '@': neither user nor password may hold a raw '@'.
  if (const size_t at = rest.find('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    const size_t colon = userinfo.find(':');
    user_ = userinfo.substr(0, colon);
    if (colon != std::string_view::npos) {
      password_ = userinfo.substr(colon + 1);
    }
    if (user_.empty()) {
      return uriError("Empty user part in SIP URI");
    }
    i = at + 1;
  }
  if (auto r = parseHostPort(rest, i); !r) {
    return r;
  }
  if (auto r = parseUriParams(rest, i, params_); !r) {
    return r;
  }
  if (i < rest.size() && rest[i] == '?') {
    headers_ = rest.substr(i + 1);
    i = rest.size();
  }
  if (i != rest.size()) {
    return uriError("Unexpected character in SIP URI");
  }
  return {};
}

Result<void> Uri::parseHostPort(std::string_view rest, size_t& i) {
  const size_t begin = i;
  if (i < rest.size() && rest[i] == '[') {
    const size_t close = rest.find(']', i);
    if (close == std::string_view::npos) {
      return uriError("Unterminated IPv6 reference in SIP URI");
    }
    i = close + 1;
  } else {
    while (i < rest.size() && is(rest[i], detail::kHostChar)) {
      ++i;
    }
  }
  host_ = rest.substr(begin, i - begin);
  if (!detail::isValidHost(host_)) {
    return uriError("Invalid host in SIP URI");
  }
  if (i < rest.size() && rest[i] == ':') {
    const size_t port_begin = ++i;
    while (i < rest.size() && detail::isDigit(rest[i])) {
      ++i;
    }
    auto port = detail::parsePort(rest.substr(port_begin, i - port_begin));
    if (!port) {
      return uriError("Invalid port in SIP URI");
    }
    port_ = *port;
  }
  return {};
}

Result<Uri> Uri::parse(std::string_view text) {
  const size_t colon = schemeEnd(text);
  if (colon == std::string_view::npos) {
    return uriError("Malformed URI scheme");
  }
  Uri uri;
  uri.text_ = text;
  uri.scheme_ = text.substr(0, colon);
  const std::string_view rest = text.substr(colon + 1);
  if (!uri.isSip()) {
    // absoluteURI (RFC 3261 §25.1): kept opaque so the caller can answer 416.
    if (rest.empty()) {
      return uriError("Empty URI");
    }
    for (char c : rest) {
      if (!isOpaqueChar(c)) {
        return uriError("Invalid character in URI");
      }
    }
    uri.opaque_ = rest;
    return uri;
  }
  if (auto r = uri.parseSipPart(rest); !r) {
    return r.error();
  }
  return uri;
}

bool Uri::isSip() const { return iequals(scheme_, "sip") || iequals(scheme_, "sips"); }

std::string Uri::aor() const {
  if (!isSip()) {
    return std::string(text_);
  }
  std::string out;
  if (!user_.empty()) {
    out = unescape(user_);
    out.push_back('@');
  }
  for (char c : host_) {
    out.push_back(asciiLower(c));
  }
  return out;
}

}  // namespace proxy::sip
