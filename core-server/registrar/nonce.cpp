// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/nonce.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "proxy/base/assert.h"
#include "proxy/base/random.h"

namespace core::registrar {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr size_t kMacBytes = 16;  // 128 bits of HMAC-SHA256 are plenty against forgery

std::string hex64(uint64_t v) {
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<size_t>(i)] = kHex[v & 0xf];
    v >>= 4;
  }
  return out;
}

std::optional<uint64_t> parseHex64(std::string_view s) {
  if (s.size() != 16) {
    return std::nullopt;
  }
  uint64_t v = 0;
  for (char c : s) {
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (d < 0) {
      return std::nullopt;  // we only ever issue lowercase hex
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

}  // namespace

NonceKey NonceKey::generate() {
  Bytes key{};
  for (size_t i = 0; i < kKeySize; i += 8) {
    uint64_t r = proxy::random64();
    for (size_t j = 0; j < 8; ++j) {
      key[i + j] = static_cast<uint8_t>(r >> (8 * j));
    }
  }
  return NonceKey(key);
}

std::string NonceKey::mac(std::string_view data) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const unsigned char* ok =
      HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  RELEASE_ASSERT(ok != nullptr && len >= kMacBytes);  // SHA-256 is always available
  std::string hex;
  hex.reserve(kMacBytes * 2);
  for (size_t i = 0; i < kMacBytes; ++i) {
    hex.push_back(kHex[out[i] >> 4]);
    hex.push_back(kHex[out[i] & 0xf]);
  }
  return hex;
}

std::string NonceKey::issue(int64_t now, std::string_view realm) const {
  std::string body = hex64(static_cast<uint64_t>(now)) + hex64(proxy::random64());
  std::string signed_data = body + "|" + std::string(realm);
  return body + mac(signed_data);
}

NonceState NonceKey::check(std::string_view nonce, std::string_view realm, int64_t now,
                           uint32_t lifetime_s) const {
  const auto issued = issueTime(nonce);
  if (nonce.size() != kNonceLength || !issued || !parseHex64(nonce.substr(16, 16))) {
    return NonceState::Forged;
  }
  const std::string expected = mac(std::string(nonce.substr(0, 32)) + "|" + std::string(realm));
  if (CRYPTO_memcmp(expected.data(), nonce.data() + 32, expected.size()) != 0) {
    return NonceState::Forged;
  }
  return now - *issued > static_cast<int64_t>(lifetime_s) ? NonceState::Expired : NonceState::Fresh;
}

std::optional<int64_t> NonceKey::issueTime(std::string_view nonce) {
  if (nonce.size() < 16) {
    return std::nullopt;
  }
  auto v = parseHex64(nonce.substr(0, 16));
  if (!v) {
    return std::nullopt;
  }
  return static_cast<int64_t>(*v);
}

std::string NonceKey::opaque(std::string_view realm) const {
  return mac("opaque|" + std::string(realm));
}

}  // namespace core::registrar
