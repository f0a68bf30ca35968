// SPDX-License-Identifier: Apache-2.0
#include "proxy/routing/record_route.h"

#include <openssl/hmac.h>

#include <array>

#include "proxy/base/random.h"
#include "proxy/base/strings.h"
#include "proxy/sip/name_addr.h"

namespace proxy::routing {
namespace {

// The per-process key our Record-Route signatures use. A restart invalidates
// old signatures, as it invalidates the connections the tokens name anyway.
const std::array<uint64_t, 4>& routeKey() {
  static const std::array<uint64_t, 4> key{random64(), random64(), random64(), random64()};
  return key;
}

// 16 bytes of HMAC-SHA256(key, caller "|" callee), hex.
std::string signTokens(std::string_view caller, std::string_view callee) {
  std::string data;
  data.reserve(caller.size() + callee.size() + 1);
  data.append(caller).append("|").append(callee);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  const auto& key = routeKey();
  HMAC(EVP_sha256(), key.data(), sizeof(key), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &mac_len);
  return hexEncode(std::string_view(reinterpret_cast<const char*>(mac), 16));
}

}  // namespace

std::string hexEncode(std::string_view raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::optional<std::string> hexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return std::nullopt;
  }
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]);
    int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string makeRecordRouteFor(transport::Protocol protocol, const LocalAddresses& us,
                               std::string_view caller_token, std::string_view callee_token) {
  std::string rr = "<sip:" + us.sentBy(protocol);
  if (protocol != transport::Protocol::Udp) {
    rr += ";transport=";
    rr += toLower(transport::protocolName(protocol));
  }
  rr += ";lr";
  if (!caller_token.empty()) {
    rr += ";cf=" + hexEncode(caller_token);
  }
  if (!callee_token.empty()) {
    rr += ";ef=" + hexEncode(callee_token);
  }
  rr += ";fs=" + signTokens(caller_token, callee_token);
  rr += ">";
  return rr;
}

std::optional<OwnRoute> parseOwnRoute(std::string_view route_value, const LocalAddresses& us) {
  auto route = sip::NameAddr::parse(route_value);
  if (!route || !route->uri().isSip() || !us.isUs(route->uri())) {
    return std::nullopt;
  }
  OwnRoute own;
  if (const sip::Param* cf = route->uri().param("cf")) {
    own.caller_token = hexDecode(cf->value).value_or("");
  }
  if (const sip::Param* ef = route->uri().param("ef")) {
    own.callee_token = hexDecode(ef->value).value_or("");
  }
  const sip::Param* fs = route->uri().param("fs");
  own.signed_ok = fs != nullptr && fs->value == signTokens(own.caller_token, own.callee_token);
  return own;
}

namespace {
// Same peer: the same connection for streams; the same source address for UDP.
bool sameFlow(const transport::Flow& a, const transport::Flow& b) {
  if (a.protocol != b.protocol) {
    return false;
  }
  if (a.protocol == transport::Protocol::Udp) {
    return a.remote == b.remote;
  }
  return a.connection_id == b.connection_id;
}
}  // namespace

DialogHop otherSide(const transport::Flow& arrival, const OwnRoute& route) {
  if (!route.signed_ok) {
    return {};
  }
  auto caller = transport::Flow::fromToken(route.caller_token);
  auto callee = transport::Flow::fromToken(route.callee_token);
  if (caller && sameFlow(arrival, *caller)) {
    return {true, callee};
  }
  if (callee && sameFlow(arrival, *callee)) {
    return {true, caller};
  }
  return {};
}

}  // namespace proxy::routing
