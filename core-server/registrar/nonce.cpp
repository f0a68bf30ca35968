// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/nonce.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "proxy/base/assert.h"
#include "proxy/base/random.h"

namespace core::registrar {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr size_t kMacBytes = 16;    // 128 bits of HMAC-SHA256 are plenty against forgery
constexpr size_t kBodyLength = 32;  // hex issue time + hex random: what the MAC covers
constexpr size_t kShaBlock = 64;    // SHA-256 block size, the HMAC pad length
constexpr size_t kShaLength = 32;

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

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct MdFree {
  void operator()(EVP_MD* md) const { EVP_MD_free(md); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

}  // namespace

// HMAC-SHA256 (RFC 2104) with both padded key blocks hashed once, here. The
// one-shot HMAC() looks SHA-256 up and hashes the pads on every call, which
// cost three times the MAC itself; now a MAC is two SHA-256 blocks plus copying
// the prepared states. Immutable after construction.
class NonceKey::Mac {
 public:
  explicit Mac(const Bytes& key) : sha256_(EVP_MD_fetch(nullptr, "SHA256", nullptr)) {
    RELEASE_ASSERT(sha256_ != nullptr);  // SHA-256 is always available
    static_assert(kKeySize <= kShaBlock, "a longer key would have to be hashed first");
    uint8_t inner_pad[kShaBlock] = {};
    uint8_t outer_pad[kShaBlock] = {};
    for (size_t i = 0; i < kShaBlock; ++i) {
      const uint8_t k = i < key.size() ? key[i] : 0;
      inner_pad[i] = k ^ 0x36;
      outer_pad[i] = k ^ 0x5c;
    }
    inner_ = start(inner_pad);
    outer_ = start(outer_pad);
  }

  // The MAC of the concatenation of `parts`.
  std::array<uint8_t, kShaLength> compute(std::initializer_list<std::string_view> parts) const {
    // One scratch context per thread (not per call, nor per Mac, so a const Mac
    // stays safe to share); copy_ex resets it.
    thread_local const MdCtx work(EVP_MD_CTX_new());
    uint8_t inner_hash[kShaLength];
    std::array<uint8_t, kShaLength> out{};
    unsigned int len = 0;
    bool ok = work && EVP_MD_CTX_copy_ex(work.get(), inner_.get()) == 1;
    for (std::string_view part : parts) {
      ok = ok && EVP_DigestUpdate(work.get(), part.data(), part.size()) == 1;
    }
    ok = ok && EVP_DigestFinal_ex(work.get(), inner_hash, &len) == 1;
    ok = ok && EVP_MD_CTX_copy_ex(work.get(), outer_.get()) == 1;
    ok = ok && EVP_DigestUpdate(work.get(), inner_hash, sizeof(inner_hash)) == 1;
    ok = ok && EVP_DigestFinal_ex(work.get(), out.data(), &len) == 1;
    RELEASE_ASSERT(ok && len == kShaLength);
    return out;
  }

 private:
  // A SHA-256 context that has absorbed `pad`.
  MdCtx start(const uint8_t (&pad)[kShaBlock]) const {
    MdCtx ctx(EVP_MD_CTX_new());
    RELEASE_ASSERT(ctx && EVP_DigestInit_ex(ctx.get(), sha256_.get(), nullptr) == 1 &&
                   EVP_DigestUpdate(ctx.get(), pad, kShaBlock) == 1);
    return ctx;
  }

  std::unique_ptr<EVP_MD, MdFree> sha256_;
  MdCtx inner_;  // H(key ^ ipad) so far
  MdCtx outer_;  // H(key ^ opad) so far
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
