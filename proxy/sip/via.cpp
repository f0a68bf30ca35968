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

// Parsed in place inside the Result (returned without a copy): a Via is a
// few hundred bytes, mostly its inline parameters.
Result<Via> Via::parse(std::string_view text) {
  Result<Via> result = Via();
  if (const char* error = result->parseText(text)) {
    result = makeError(400, error);
  }
  return result;
}

const char* Via::parseText(std::string_view text) {
  text = trim(text);
  size_t i = 0;
  if (text.starts_with("SIP/2.0/")) {
    protocol_ = "SIP/2.0";  // nearly every Via: skip the general sent-protocol parse
    i = skipWs(text, 8);
  } else {
    const std::string_view name = tokenThenSlash(text, i);
    const std::string_view version = tokenThenSlash(text, i);
    if (name.empty() || version.empty()) {
      return "Malformed Via sent-protocol";
    }
    if (iequals(name, "SIP") && version == "2.0") {
      protocol_ = "SIP/2.0";  // a literal, so LWS around '/' does not leak out
    } else {
      const auto version_end = static_cast<size_t>(version.data() + version.size() - text.data());
      protocol_ = text.substr(0, version_end);
    }
  }
  const size_t transport_end = scanToken(text, i);
  if (transport_end == i) {
    return "Malformed Via sent-protocol";
  }
  transport_ = text.substr(i, transport_end - i);
  i = skipWs(text, transport_end);
  if (i == transport_end) {
    return "Missing LWS before Via sent-by";
  }
  if (const char* error = parseSentBy(text, i)) {
    return error;
  }
  if (const char* error = detail::parseParams(text, i, params_)) {
    return error;
  }
  // Several layers read the branch of every request: found once, here.
  const Param* branch = param("branch");
  branch_ = branch == nullptr ? std::string_view() : branch->value;
  return nullptr;
}

// sent-by = host [ COLON port ].
const char* Via::parseSentBy(std::string_view text, size_t& i) {
  const size_t begin = i;
  if (i < text.size() && text[i] == '[') {
    const size_t close = text.find(']', i);
    i = close == std::string_view::npos ? text.size() : close + 1;
    host_ = text.substr(begin, i - begin);
    if (!detail::isValidHost(host_)) {
      return "Invalid Via host";
    }
  } else {
    i = detail::scanClass(text, i, detail::kHostChar);
    host_ = text.substr(begin, i - begin);
    if (host_.empty()) {  // the scan admitted host characters only
      return "Invalid Via host";
    }
  }
  const size_t colon = skipWs(text, i);
  if (colon < text.size() && text[colon] == ':') {
    const size_t port_begin = skipWs(text, colon + 1);
    i = detail::scanClass(text, port_begin, detail::kDigit);
    auto port = detail::parsePort(text.substr(port_begin, i - port_begin));
    if (!port) {
      return "Invalid Via port";
    }
    port_ = *port;
  }
  return nullptr;
}

}  // namespace proxy::sip
