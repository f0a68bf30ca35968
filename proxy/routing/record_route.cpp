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

std::string hmac(std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  const auto& key = routeKey();
  HMAC(EVP_sha256(), key.data(), sizeof(key), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &mac_len);
  return std::string(reinterpret_cast<const char*>(mac), mac_len);
}

// XORs `text` with HMAC(key, "k" nonce counter) blocks: a stream cipher keyed
// per process, so what we hand out is opaque (topology hiding).
void applyKeystream(std::string& text, std::string_view nonce) {
  for (size_t block = 0; block * 32 < text.size(); ++block) {
    std::string input = "k";
    input.append(nonce).append(std::to_string(block));
    std::string stream = hmac(input);
    for (size_t i = 0; i < 32 && block * 32 + i < text.size(); ++i) {
      text[block * 32 + i] = static_cast<char>(text[block * 32 + i] ^ stream[i]);
    }
  }
}

constexpr size_t kNonceBytes = 8;
constexpr size_t kTagBytes = 8;

}  // namespace

std::string sealText(std::string_view plain) {
  std::string nonce(kNonceBytes, '\0');
  uint64_t r = random64();
  for (size_t i = 0; i < kNonceBytes; ++i) {
    nonce[i] = static_cast<char>(r >> (8 * i));
  }
  std::string body(plain);
  applyKeystream(body, nonce);
  std::string tag = hmac("t" + nonce + body).substr(0, kTagBytes);
  return hexEncode(nonce + body + tag);
}

std::optional<std::string> openText(std::string_view sealed) {
  auto raw = hexDecode(sealed);
  if (!raw || raw->size() < kNonceBytes + kTagBytes) {
    return std::nullopt;
  }
  std::string nonce = raw->substr(0, kNonceBytes);
  std::string body = raw->substr(kNonceBytes, raw->size() - kNonceBytes - kTagBytes);
  std::string tag = raw->substr(raw->size() - kTagBytes);
  if (hmac("t" + nonce + body).substr(0, kTagBytes) != tag) {
    return std::nullopt;
  }
  applyKeystream(body, nonce);
  return body;
}

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
    rr += ";cf=" + sealText(caller_token);
  }
  if (!callee_token.empty()) {
    rr += ";ef=" + sealText(callee_token);
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
  bool tampered = false;  // a token we did not seal
  if (const sip::Param* cf = route->uri().param("cf")) {
    auto opened = openText(cf->value);
    own.caller_token = opened.value_or("");
    tampered |= !opened;
  }
  if (const sip::Param* ef = route->uri().param("ef")) {
    auto opened = openText(ef->value);
    own.callee_token = opened.value_or("");
    tampered |= !opened;
  }
  const sip::Param* fs = route->uri().param("fs");
  own.signed_ok =
      !tampered && fs != nullptr && fs->value == signTokens(own.caller_token, own.callee_token);
  return own;
}

namespace {
// Same peer: the same connection for streams; the same source address for UDP.
// A stream side recorded without a connection (we connected to a server by its
// address: a federation peer) matches any connection from that server's IP: its
// requests come on its own connection, from its listener address but another port.
bool sameFlow(const transport::Flow& arrival, const transport::Flow& recorded) {
  if (arrival.protocol != recorded.protocol) {
    return false;
  }
  if (arrival.protocol == transport::Protocol::Udp) {
    return arrival.remote == recorded.remote;
  }
  if (recorded.connection_id == 0) {
    return arrival.remote.ip() == recorded.remote.ip();
  }
  return arrival.connection_id == recorded.connection_id;
}

// A stream side we reached by address ("tcp/<shard>/0/<ip:port>"), which
// Flow::fromToken refuses because such a flow names no connection yet.
std::optional<transport::Flow> addressFlowFromToken(std::string_view token) {
  transport::Protocol protocol;
  if (token.starts_with("tcp/")) {
    protocol = transport::Protocol::Tcp;
  } else if (token.starts_with("tls/")) {
    protocol = transport::Protocol::Tls;
  } else {
    return std::nullopt;
  }
  size_t shard_end = token.find('/', 4);
  if (shard_end == std::string_view::npos || token.substr(shard_end, 3) != "/0/") {
    return std::nullopt;
  }
  auto shard = parseUnsigned<unsigned>(token.substr(4, shard_end - 4));
  auto remote = transport::Address::parse(token.substr(shard_end + 3));
  if (!shard || !remote) {
    return std::nullopt;
  }
  transport::Flow flow;
  flow.protocol = protocol;
  flow.shard = *shard;
  flow.remote = *remote;
  return flow;
}

std::optional<transport::Flow> flowFromToken(std::string_view token) {
  auto flow = transport::Flow::fromToken(token);
  return flow ? flow : addressFlowFromToken(token);
}
}  // namespace

DialogHop otherSide(const transport::Flow& arrival, const OwnRoute& route) {
  if (!route.signed_ok) {
    return {};
  }
  auto caller = flowFromToken(route.caller_token);
  auto callee = flowFromToken(route.callee_token);
  if (caller && sameFlow(arrival, *caller)) {
    return {true, callee};
  }
  if (callee && sameFlow(arrival, *callee)) {
    return {true, caller};
  }
  return {};
}

}  // namespace proxy::routing
