// SPDX-License-Identifier: Apache-2.0
// Lowercase hex output for hot paths (nonces, digest responses): one table load and
// one two-byte copy per octet instead of two shifts, masks and loads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace proxy::hex {
namespace detail {
constexpr std::array<std::array<char, 2>, 256> makePairs() {
  constexpr char kDigits[] = "0123456789abcdef";
  std::array<std::array<char, 2>, 256> pairs{};
  for (size_t b = 0; b < pairs.size(); ++b) {
    pairs[b] = {kDigits[b >> 4], kDigits[b & 0xf]};
  }
  return pairs;
}
inline constexpr std::array<std::array<char, 2>, 256> kPairs = makePairs();
}  // namespace detail

// Writes the two lowercase hex digits of `octet` to out[0..1].
inline void putByte(char* out, uint8_t octet) { std::memcpy(out, detail::kPairs[octet].data(), 2); }

// Writes 2 * size lowercase hex digits of `bytes` to `out` (no terminator).
inline void put(char* out, const unsigned char* bytes, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    putByte(out + 2 * i, bytes[i]);
  }
}

}  // namespace proxy::hex
