// SPDX-License-Identifier: Apache-2.0
#include "proxy/base/random.h"

#include <openssl/rand.h>

#include "proxy/base/assert.h"

namespace proxy {

namespace {
// Refilling a per-thread pool keeps RAND_bytes off the per-message path.
struct Pool {
  unsigned char bytes[4096];
  size_t used = sizeof bytes;
  void take(unsigned char* out, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if (used == sizeof bytes) {
        RELEASE_ASSERT(RAND_bytes(bytes, sizeof bytes) == 1);
        used = 0;
      }
      out[i] = bytes[used++];
    }
  }
};
thread_local Pool t_pool;
}  // namespace

std::string randomToken(size_t length) {
  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out(length, '0');
  unsigned char raw[64];
  for (size_t done = 0; done < length;) {
    size_t n = std::min(length - done, sizeof raw);
    t_pool.take(raw, n);
    for (size_t i = 0; i < n; ++i) {
      out[done + i] = kAlphabet[raw[i] % 36];
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
