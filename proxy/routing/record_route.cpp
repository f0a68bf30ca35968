// SPDX-License-Identifier: Apache-2.0
#include "proxy/routing/record_route.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <memory>

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

constexpr size_t kNonceBytes = 12;  // AES-GCM's natural IV size
constexpr size_t kTagBytes = 16;

// The per-process AES-256 key sealed text uses (a restart invalidates it, like
// the connections the sealed flow tokens name).
const unsigned char* sealKey() {
  static const std::array<uint64_t, 4> key{random64(), random64(), random64(), random64()};
  return reinterpret_cast<const unsigned char*>(key.data());
}

// One AES-256-GCM pass with OpenSSL (encrypt, or decrypt and check the tag).
// The context is per thread and reused; false on any OpenSSL failure.
bool gcm(bool encrypt, const unsigned char* iv, std::string_view in, std::string& out,
         unsigned char* tag) {
  thread_local std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(
      EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx || EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, sealKey(), iv,
                                encrypt ? 1 : 0) != 1) {
    return false;
  }
  out.resize(in.size());
  int len = 0;
  if (!in.empty() && EVP_CipherUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len,
                                      reinterpret_cast<const unsigned char*>(in.data()),
                                      static_cast<int>(in.size())) != 1) {
    return false;
  }
  if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag) != 1) {
    return false;
  }
  int tail = 0;
  if (EVP_CipherFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + len, &tail) !=
      1) {
    return false;  // decrypting: the tag did not match
  }
  return !encrypt || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, tag) == 1;
}

}  // namespace

std::string sealText(std::string_view plain) {
  unsigned char iv[kNonceBytes];
  if (RAND_bytes(iv, sizeof(iv)) != 1) {
    return {};  // openText() rejects it: the route counts as unsigned
  }
  std::string body;
  unsigned char tag[kTagBytes];
  if (!gcm(/*encrypt=*/true, iv, plain, body, tag)) {
    return {};
  }
  std::string raw(reinterpret_cast<const char*>(iv), sizeof(iv));
  raw.append(body).append(reinterpret_cast<const char*>(tag), sizeof(tag));
  return hexEncode(raw);
}

std::optional<std::string> openText(std::string_view sealed) {
  auto raw = hexDecode(sealed);
  if (!raw || raw->size() < kNonceBytes + kTagBytes) {
    return std::nullopt;
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw->data());
  unsigned char tag[kTagBytes];
  std::copy_n(bytes + raw->size() - kTagBytes, kTagBytes, tag);
  std::string_view body(raw->data() + kNonceBytes, raw->size() - kNonceBytes - kTagBytes);
  std::string plain;
  if (!gcm(/*encrypt=*/false, bytes, body, plain, tag)) {
    return std::nullopt;
  }
  return plain;
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
