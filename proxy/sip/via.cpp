// SPDX-License-Identifier: Apache-2.0
// via-parm parsing (RFC 3261 §20.42, §25.1). LWS is allowed around the '/' of
// sent-protocol and around ';', '=' and ':' (RFC 4475 wsinv).
#include "proxy/base/strings.h"
#include "proxy/sip/grammar.h"
#include "proxy/sip/name_addr.h"

namespace proxy::sip {
namespace {

using detail::scanToken;
using detail::skipWs;

// Reads `token SWS "/" SWS` at i; returns the token or "" when absent.
std::string_view tokenThenSlash(std::string_view text, size_t& i) {
  const size_t end = scanToken(text, i);
  const size_t slash = skipWs(text, end);
  if (end == i || slash >= text.size() || text[slash] != '/') {
    return {};
  }
  const std::string_view token = text.substr(i, end - i);
  i = skipWs(text, slash + 1);
  return token;
}

}  // namespace

Result<Via> Via::parse(std::string_view text) {
  text = trim(text);
  Via via;
  size_t i = 0;
  const std::string_view name = tokenThenSlash(text, i);
  const std::string_view version = tokenThenSlash(text, i);
  const size_t transport_end = scanToken(text, i);
  if (name.empty() || version.empty() || transport_end == i) {
    return makeError(400, "Malformed Via sent-protocol");
  }
  if (iequals(name, "SIP") && version == "2.0") {
    via.protocol_ = "SIP/2.0";  // a literal, so LWS around '/' does not leak out
  } else {
    const auto version_end = static_cast<size_t>(version.data() + version.size() - text.data());
    via.protocol_ = text.substr(0, version_end);
  }
  via.transport_ = text.substr(i, transport_end - i);
  i = skipWs(text, transport_end);
  if (i == transport_end) {
    return makeError(400, "Missing LWS before Via sent-by");
  }
  if (auto r = via.parseSentBy(text, i); !r) {
    return r.error();
  }
  if (auto r = detail::parseParams(text, i, via.params_); !r) {
    return r.error();
  }
  return via;
}

// sent-by = host [ COLON port ].
Result<void> Via::parseSentBy(std::string_view text, size_t& i) {
  const size_t begin = i;
  if (i < text.size() && text[i] == '[') {
    const size_t close = text.find(']', i);
    i = close == std::string_view::npos ? text.size() : close + 1;
  } else {
    while (i < text.size() && detail::is(text[i], detail::kHostChar)) {
      ++i;
    }
  }
  host_ = text.substr(begin, i - begin);
  if (!detail::isValidHost(host_)) {
    return makeError(400, "Invalid Via host");
  }
  const size_t colon = skipWs(text, i);
  if (colon < text.size() && text[colon] == ':') {
    const size_t port_begin = skipWs(text, colon + 1);
    i = port_begin;
    while (i < text.size() && detail::isDigit(text[i])) {
      ++i;
    }
    auto port = detail::parsePort(text.substr(port_begin, i - port_begin));
    if (!port) {
      return makeError(400, "Invalid Via port");
    }
    port_ = *port;
  }
  return {};
}

std::string_view Via::branch() const {
  const Param* p = param("branch");
  return p == nullptr ? std::string_view() : p->value;
}

}  // namespace proxy::sip
