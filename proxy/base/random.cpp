// SPDX-License-Identifier: Apache-2.0
#include "proxy/base/random.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "proxy/base/assert.h"

namespace proxy {

namespace {
// Refilling a per-thread pool keeps RAND_bytes off the per-message path.
struct Pool {
  unsigned char bytes[4096];
  size_t used = sizeof bytes;
  // Copies whole runs of the pool: a tag or a nonce costs one or two memcpy.
  void take(unsigned char* out, size_t n) {
    while (n > 0) {
      if (used == sizeof bytes) {
        RELEASE_ASSERT(RAND_bytes(bytes, sizeof bytes) == 1);
        used = 0;
      }
      const size_t run = std::min(n, sizeof bytes - used);
      std::memcpy(out, bytes + used, run);
      used += run;
      out += run;
      n -= run;
    }
  }
};
thread_local Pool t_pool;

// kAlphabet[byte % 36] for every byte value, so a character costs one load
// (the same mapping, and so the same distribution, as taking the remainder).
constexpr std::array<char, 256> makeTokenChars() {
  constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::array<char, 256> chars{};
  for (size_t b = 0; b < chars.size(); ++b) {
    chars[b] = kAlphabet[b % 36];
  }
  return chars;
}
constexpr std::array<char, 256> kTokenChars = makeTokenChars();

}  // namespace

std::string randomToken(size_t length) {
  std::string out(length, '0');
  unsigned char raw[64];
  for (size_t done = 0; done < length;) {
    size_t n = std::min(length - done, sizeof raw);
    t_pool.take(raw, n);
    for (size_t i = 0; i < n; ++i) {
      out[done + i] = kTokenChars[raw[i]];
    }
    done += n;
  }
  return out;
}

uint64_t random64() {
  uint64_t v = 0;
  t_pool.take(reinterpret_cast<unsigned char*>(&v), sizeof v);
  return v;
}

}  // namespace proxy
