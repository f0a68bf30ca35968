// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/nonce.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>

#include "proxy/base/assert.h"
#include "proxy/base/random.h"

namespace core::registrar {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr size_t kMacBytes = 16;    // SipHash's 128-bit tag: plenty against forgery
constexpr size_t kBodyLength = 32;  // hex issue time + hex random: what the MAC covers

void putHex64(char* out, uint64_t v) {
  for (int i = 15; i >= 0; --i) {
    out[i] = kHex[v & 0xf];
    v >>= 4;
  }
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

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

// Fetched once per process: a fetch is a locked name lookup in the provider store.
EVP_MAC* sipHash() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "SIPHASH", nullptr);
  RELEASE_ASSERT(mac != nullptr);  // SipHash is in OpenSSL 3's default provider
  return mac;
}

}  // namespace

// SipHash-2-4 with a 128-bit tag: a keyed PRF made for short inputs, about a
// sixth of the instructions of the HMAC-SHA256 it replaced (which hashed four
// SHA-256 blocks and copied two OpenSSL contexts per nonce). Unforgeability
// without the key is all a nonce needs. Immutable after construction.
class NonceKey::Mac {
 public:
  explicit Mac(const Bytes& key) : key_(key) {}

  // The MAC of the concatenation of `parts`.
  std::array<uint8_t, kMacBytes> compute(std::initializer_list<std::string_view> parts) const {
    // One context per thread (not per call, nor per Mac, so a const Mac stays
    // safe to share); EVP_MAC_init with the key resets it.
    thread_local const std::unique_ptr<EVP_MAC_CTX, MacCtxFree> work(EVP_MAC_CTX_new(sipHash()));
    size_t tag_size = kMacBytes;
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &tag_size),
                                 OSSL_PARAM_construct_end()};
    std::array<uint8_t, kMacBytes> out{};
    size_t len = 0;
    bool ok = work && EVP_MAC_init(work.get(), key_.data(), key_.size(), params) == 1;
    // The parts are short: one update of a gathered copy costs less than one each.
    uint8_t buffer[256];
    size_t total = 0;
    for (std::string_view part : parts) {
      total += part.size();
    }
    if (total <= sizeof(buffer)) {
      uint8_t* p = buffer;
      for (std::string_view part : parts) {
        p = std::copy(part.begin(), part.end(), p);
      }
      ok = ok && EVP_MAC_update(work.get(), buffer, total) == 1;
    } else {
      for (std::string_view part : parts) {
        ok = ok && EVP_MAC_update(work.get(), reinterpret_cast<const uint8_t*>(part.data()),
                                  part.size()) == 1;
      }
    }
    ok = ok && EVP_MAC_final(work.get(), out.data(), &len, out.size()) == 1;
    RELEASE_ASSERT(ok && len == kMacBytes);
    return out;
  }

 private:
  Bytes key_;
};

NonceKey::NonceKey(const Bytes& key) : key_(key), mac_(std::make_unique<const Mac>(key)) {}
NonceKey::NonceKey(const NonceKey& other) : NonceKey(other.key_) {}
NonceKey& NonceKey::operator=(const NonceKey& other) {
  if (this != &other) {
    *this = NonceKey(other.key_);
  }
  return *this;
}
NonceKey::NonceKey(NonceKey&&) noexcept = default;
NonceKey& NonceKey::operator=(NonceKey&&) noexcept = default;
NonceKey::~NonceKey() = default;

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

void NonceKey::macHex(std::initializer_list<std::string_view> parts, char* out) const {
  static_assert(kMacHexLength == 2 * kMacBytes);
  const auto mac = mac_->compute(parts);
  for (size_t i = 0; i < kMacBytes; ++i) {
    out[2 * i] = kHex[mac[i] >> 4];
    out[2 * i + 1] = kHex[mac[i] & 0xf];
  }
}

std::string NonceKey::issue(int64_t now, std::string_view realm) const {
  static_assert(kNonceLength == kBodyLength + kMacHexLength);
  std::string nonce(kNonceLength, '0');
  putHex64(nonce.data(), static_cast<uint64_t>(now));
  putHex64(nonce.data() + 16, proxy::random64());
  macHex({std::string_view(nonce).substr(0, kBodyLength), "|", realm}, nonce.data() + kBodyLength);
  return nonce;
}

NonceState NonceKey::check(std::string_view nonce, std::string_view realm, int64_t now,
                           uint32_t lifetime_s) const {
  const auto issued = issueTime(nonce);
  if (nonce.size() != kNonceLength || !issued || !parseHex64(nonce.substr(16, 16))) {
    return NonceState::Forged;
  }
  char expected[kMacHexLength];
  macHex({nonce.substr(0, kBodyLength), "|", realm}, expected);
  if (CRYPTO_memcmp(expected, nonce.data() + kBodyLength, kMacHexLength) != 0) {
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

std::optional<NonceId> NonceKey::idOf(std::string_view nonce) {
  if (nonce.size() < kBodyLength) {
    return std::nullopt;
  }
  const auto issued = parseHex64(nonce.substr(0, 16));
  const auto random = parseHex64(nonce.substr(16, 16));
  if (!issued || !random) {
    return std::nullopt;
  }
  return NonceId{static_cast<int64_t>(*issued), *random};
}

std::string NonceKey::opaque(std::string_view realm) const {
  std::string out(kMacHexLength, '0');
  macHex({"opaque|", realm}, out.data());
  return out;
}

}  // namespace core::registrar
