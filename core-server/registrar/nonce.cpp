// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/nonce.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "proxy/base/assert.h"
#include "proxy/base/hex.h"
#include "proxy/base/random.h"

namespace core::registrar {
namespace {

constexpr size_t kMacBytes = 16;    // SipHash's 128-bit tag: plenty against forgery
constexpr size_t kBodyLength = 32;  // hex issue time + hex random: what the MAC covers

void putHex64(char* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    proxy::hex::putByte(out + 2 * i, static_cast<uint8_t>(v));
    v >>= 8;
  }
}

// Compares n octets in time that depends on n only (a MAC check must not tell
// an attacker how many leading digits were right): whole words are XORed and
// ORed together, without an early exit.
template <size_t n>
bool sameConstantTime(const char* a, const char* b) {
  static_assert(n % sizeof(uint64_t) == 0);
  uint64_t diff = 0;
  for (size_t i = 0; i < n; i += sizeof(uint64_t)) {
    uint64_t x = 0;
    uint64_t y = 0;
    std::memcpy(&x, a + i, sizeof x);
    std::memcpy(&y, b + i, sizeof y);
    diff |= x ^ y;
  }
  return diff == 0;
}

// Lowercase hex digit values; 0x10 marks every other octet (we only ever issue
// lowercase hex). A table and an OR of the marks keep the 32-digit parse of
// every checked nonce branch-free.
constexpr std::array<uint8_t, 256> makeHexValues() {
  std::array<uint8_t, 256> values{};
  for (size_t c = 0; c < values.size(); ++c) {
    values[c] = (c >= '0' && c <= '9')   ? static_cast<uint8_t>(c - '0')
                : (c >= 'a' && c <= 'f') ? static_cast<uint8_t>(c - 'a' + 10)
                                         : 0x10;
  }
  return values;
}
constexpr std::array<uint8_t, 256> kHexValues = makeHexValues();

std::optional<uint64_t> parseHex64(std::string_view s) {
  if (s.size() != 16) {
    return std::nullopt;
  }
  uint64_t v = 0;
  uint8_t bad = 0;
  for (char c : s) {
    const uint8_t d = kHexValues[static_cast<unsigned char>(c)];
    bad |= d;
    v = (v << 4) | (d & 0xf);
  }
  if ((bad & 0x10) != 0) {
    return std::nullopt;
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

// A SipHash context whose tag is 128 bits; EVP_MAC_init keeps that setting.
EVP_MAC_CTX* newSipHash128Context() {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(sipHash());
  size_t tag_size = kMacBytes;
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &tag_size),
                               OSSL_PARAM_construct_end()};
  RELEASE_ASSERT(ctx != nullptr && EVP_MAC_CTX_set_params(ctx, params) == 1);
  return ctx;
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
    // safe to share); EVP_MAC_init with the key resets it. The tag size is set
    // once when the context is made: parsing the OSSL_PARAM list on every init
    // cost a third of a nonce.
    thread_local const std::unique_ptr<EVP_MAC_CTX, MacCtxFree> work(newSipHash128Context());
    std::array<uint8_t, kMacBytes> out{};
    size_t len = 0;
    bool ok = work && EVP_MAC_init(work.get(), key_.data(), key_.size(), nullptr) == 1;
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
  proxy::hex::put(out, mac.data(), kMacBytes);
}

std::string NonceKey::issue(int64_t now, std::string_view realm) const {
  std::string nonce(kNonceLength, '0');
  issueInto(now, realm, nonce.data());
  return nonce;
}

void NonceKey::issueInto(int64_t now, std::string_view realm, char* out, NonceId* id) const {
  static_assert(kNonceLength == kBodyLength + kMacHexLength);
  const uint64_t random = proxy::random64();
  putHex64(out, static_cast<uint64_t>(now));
  putHex64(out + 16, random);
  if (id != nullptr) {
    *id = NonceId{now, random};
  }
  macHex({std::string_view(out, kBodyLength), "|", realm}, out + kBodyLength);
}

NonceState NonceKey::check(std::string_view nonce, std::string_view realm, int64_t now,
                           uint32_t lifetime_s, NonceId* id) const {
  const auto parsed = nonce.size() == kNonceLength ? idOf(nonce) : std::nullopt;
  if (!parsed) {
    return NonceState::Forged;
  }
  char expected[kMacHexLength];
  macHex({nonce.substr(0, kBodyLength), "|", realm}, expected);
  if (!sameConstantTime<kMacHexLength>(expected, nonce.data() + kBodyLength)) {
    return NonceState::Forged;
  }
  if (id != nullptr) {
    *id = *parsed;
  }
  return ageState(parsed->issued, now, lifetime_s);
}

bool NonceKey::sameNonce(const char* a, const char* b) {
  return sameConstantTime<kNonceLength>(a, b);
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
