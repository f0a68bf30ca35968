// SPDX-License-Identifier: Apache-2.0
// The primitives NTLM is built from ([MS-NLMP] 6 "Cryptographic operations
// reference"): MD4, MD5, HMAC-MD5, RC4 and single-block DES, all from OpenSSL.
// MD4, RC4 and DES live in OpenSSL 3's legacy provider; it is loaded into a
// private library context so the process-wide default context never offers
// these broken algorithms to anything else. Every function returns false (or
// nullopt) only when OpenSSL cannot provide the algorithm.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace core::registrar::ntlm {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;
using Key16 = std::array<uint8_t, 16>;
using NtHash = Key16;  // MD4(UTF-16LE(password)), what the user store keeps

// True when every algorithm below could be fetched (legacy provider present).
bool cryptoAvailable();

std::optional<Key16> md4(ByteView data);
std::optional<Key16> md5(std::initializer_list<ByteView> parts);
std::optional<Key16> hmacMd5(ByteView key, std::initializer_list<ByteView> parts);
// RC4 with a fresh key schedule: encryption and decryption are the same.
std::optional<Bytes> rc4(ByteView key, ByteView data);
// DES-ECB of one block with a 56-bit key spread over 8 bytes ([MS-NLMP] 6: DES(K, D)).
std::optional<std::array<uint8_t, 8>> des56(std::span<const uint8_t, 7> key,
                                            std::span<const uint8_t, 8> block);

// UTF-8 <-> UTF-16LE, rejecting malformed input (NTLM strings are UTF-16LE).
std::optional<Bytes> utf8ToUtf16le(std::string_view utf8);
std::optional<std::string> utf16leToUtf8(ByteView utf16);

// MD4(UTF-16LE(password)) ([MS-NLMP] 3.3.1 NTOWFv1), for confabctl to store.
std::optional<NtHash> ntHash(std::string_view password_utf8);

inline ByteView bytesOf(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Lower-case hex, and its inverse (accepts either case; nullopt on odd length or non-hex).
std::string toHex(ByteView bytes);
std::optional<Bytes> fromHex(std::string_view hex);
// Standard base64 with padding (RFC 4648 §4), as gssapi-data carries it.
std::string toBase64(ByteView bytes);
std::optional<Bytes> fromBase64(std::string_view text);

// Constant-time comparison for MACs and proofs.
bool equalSecret(ByteView a, ByteView b);

}  // namespace core::registrar::ntlm
