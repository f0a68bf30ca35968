// SPDX-License-Identifier: Apache-2.0
// Stateless, unforgeable digest nonces (RFC 7616 §3.3 leaves their form to the
// server). A nonce is hex(issue_time_s) + hex(random64) + hex(SipHash-2-4-128(key,
// hex issue_time + hex random | realm)): the server needs no table to know
// it made a nonce and when. The key is random per process, so a restart turns
// every outstanding nonce into a forgery and clients are simply challenged again.
// One NonceKey is made at start and copied to every shard; it is immutable.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace core::registrar {

enum class NonceState { Fresh, Expired, Forged };

// What tells our nonces apart: the issue time and random number a nonce starts
// with (16 hex digits each). Ordered by issue time first.
struct NonceId {
  int64_t issued = 0;
  uint64_t random = 0;
  auto operator<=>(const NonceId&) const = default;
};

class NonceKey {
 public:
  static constexpr size_t kKeySize = 16;  // a SipHash key
  using Bytes = std::array<uint8_t, kKeySize>;

  static NonceKey generate();  // from the CSPRNG (random64)
  explicit NonceKey(const Bytes& key);
  // A copy prepares its own MAC state, so copies never share OpenSSL objects
  // (each shard uses its copy on its own thread).
  NonceKey(const NonceKey& other);
  NonceKey& operator=(const NonceKey& other);
  NonceKey(NonceKey&&) noexcept;
  NonceKey& operator=(NonceKey&&) noexcept;
  ~NonceKey();

  // A new nonce issued at `now` (unix seconds) for `realm`.
  std::string issue(int64_t now, std::string_view realm) const;
  // The same written to out[0..kNonceLength), for callers that avoid the
  // string; with `id` set, *id = idOf(the nonce).
  void issueInto(int64_t now, std::string_view realm, char* out, NonceId* id = nullptr) const;

  // Fresh when we made it for `realm` and it is at most `lifetime_s` old; Expired
  // when we made it but it is older; Forged otherwise (including garbage). When
  // not Forged and `id` is set, *id = idOf(nonce) (parsed once for both).
  NonceState check(std::string_view nonce, std::string_view realm, int64_t now, uint32_t lifetime_s,
                   NonceId* id = nullptr) const;

  // The state of a nonce we made at `issued`, at `now` (check()'s time rule).
  static NonceState ageState(int64_t issued, int64_t now, uint32_t lifetime_s) {
    return now - issued > static_cast<int64_t>(lifetime_s) ? NonceState::Expired
                                                           : NonceState::Fresh;
  }
  // Whether two nonce texts of kNonceLength octets are equal, in time that does
  // not depend on where they differ.
  static bool sameNonce(const char* a, const char* b);

  // The issue time carried by a nonce's first 16 hex digits (no MAC check).
  static std::optional<int64_t> issueTime(std::string_view nonce);
  // The issue time and random number of a nonce's first 32 hex digits (no MAC check).
  static std::optional<NonceId> idOf(std::string_view nonce);

  // A constant opaque value for our challenges (derived from the key and realm).
  std::string opaque(std::string_view realm) const;

  static constexpr size_t kNonceLength = 64;  // 16 + 16 + 32 hex digits

 private:
  class Mac;
  static constexpr size_t kMacHexLength = 32;  // hex of the first 16 MAC bytes
  // Writes the MAC hex of the concatenated `parts` to out[0..kMacHexLength).
  void macHex(std::initializer_list<std::string_view> parts, char* out) const;

  Bytes key_;
  std::unique_ptr<const Mac> mac_;  // SipHash keyed with key_
};

}  // namespace core::registrar
