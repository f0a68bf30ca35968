// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/nonce.h"

#include <doctest/doctest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <map>
#include <optional>
#include <random>
#include <vector>

#include "core-server/registrar/nonce_count_table.h"

namespace core::registrar {
namespace {

constexpr int64_t kNow = 1'700'000'000;

TEST_CASE("a nonce we issued is fresh for its lifetime, then expired") {
  const NonceKey key = NonceKey::generate();
  const std::string nonce = key.issue(kNow, "example.test");
  CHECK(nonce.size() == NonceKey::kNonceLength);
  CHECK(NonceKey::issueTime(nonce) == kNow);
  CHECK(key.check(nonce, "example.test", kNow, 300) == NonceState::Fresh);
  CHECK(key.check(nonce, "example.test", kNow + 300, 300) == NonceState::Fresh);
  CHECK(key.check(nonce, "example.test", kNow + 301, 300) == NonceState::Expired);
}

TEST_CASE("nonces are unique, and forged or foreign ones are recognised") {
  const NonceKey key = NonceKey::generate();
  const std::string nonce = key.issue(kNow, "example.test");
  CHECK(key.issue(kNow, "example.test") != nonce);
  // Another realm, another key (a restart), a changed issue time, garbage.
  CHECK(key.check(nonce, "other.test", kNow, 300) == NonceState::Forged);
  CHECK(NonceKey::generate().check(nonce, "example.test", kNow, 300) == NonceState::Forged);
  std::string moved = nonce;
  moved[15] = moved[15] == '0' ? '1' : '0';  // pretend it was issued at another time
  CHECK(key.check(moved, "example.test", kNow, 300) == NonceState::Forged);
  std::string flipped = nonce;
  flipped.back() = flipped.back() == 'a' ? 'b' : 'a';
  CHECK(key.check(flipped, "example.test", kNow, 300) == NonceState::Forged);
  CHECK(key.check("", "example.test", kNow, 300) == NonceState::Forged);
  CHECK(key.check("deadbeef", "example.test", kNow, 300) == NonceState::Forged);
  CHECK(key.check(std::string(64, 'Z'), "example.test", kNow, 300) == NonceState::Forged);
}

TEST_CASE("the nonce MAC is SipHash-2-4-128 of the body and realm") {
  NonceKey::Bytes bytes{};
  for (size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<uint8_t>(i * 7 + 1);
  }
  const NonceKey key(bytes);
  const NonceKey copy = key;
  const std::string nonce = copy.issue(kNow, "example.test");
  const std::string data = nonce.substr(0, 32) + "|example.test";
  size_t tag_size = 16;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &tag_size),
                         OSSL_PARAM_construct_end()};
  unsigned char mac[16];
  size_t len = 0;
  REQUIRE(EVP_Q_mac(nullptr, "SIPHASH", nullptr, nullptr, params, bytes.data(), bytes.size(),
                    reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
                    sizeof(mac), &len) != nullptr);
  REQUIRE(len == 16);
  std::string hex;
  for (size_t i = 0; i < 16; ++i) {
    static constexpr char kHex[] = "0123456789abcdef";
    hex += kHex[mac[i] >> 4];
    hex += kHex[mac[i] & 0xf];
  }
  CHECK(nonce.substr(32) == hex);
  CHECK(key.check(nonce, "example.test", kNow, 300) == NonceState::Fresh);
}

TEST_CASE("the opaque value is stable per key and realm") {
  const NonceKey key = NonceKey::generate();
  CHECK(key.opaque("example.test") == key.opaque("example.test"));
  CHECK(key.opaque("example.test") != key.opaque("other.test"));
}

TEST_CASE("nonce counts must grow per nonce") {
  const NonceKey key = NonceKey::generate();
  NonceCountTable table(100);
  const std::string a = key.issue(kNow, "r");
  const std::string b = key.issue(kNow, "r");
  CHECK(table.accept(a, 1));
  CHECK_FALSE(table.accept(a, 1));  // replay
  CHECK(table.accept(a, 2));
  CHECK_FALSE(table.accept(a, 1));  // older
  CHECK(table.accept(b, 1));        // counts are per nonce
  CHECK(table.size() == 2);
}

TEST_CASE("a nonce that is not ours is never accepted") {
  NonceCountTable table(100);
  CHECK_FALSE(table.accept("", 1));
  CHECK_FALSE(table.accept("not-hex-not-hex-not-hex-not-hex-", 1));
  CHECK_FALSE(table.accept("0000000065540000ABCDEF0123456789", 1));  // we issue lowercase only
  CHECK(table.size() == 0);
}

TEST_CASE("a nonce's id is its issue time and random part") {
  const NonceKey key = NonceKey::generate();
  const std::string a = key.issue(kNow, "r");
  const std::string b = key.issue(kNow + 1, "r");
  const auto id_a = NonceKey::idOf(a);
  REQUIRE(id_a);
  CHECK(id_a->issued == kNow);
  CHECK(*id_a < *NonceKey::idOf(b));
  CHECK(*NonceKey::idOf(a) == *id_a);
}

TEST_CASE("the sweep forgets nonces issued before the oldest live one") {
  const NonceKey key = NonceKey::generate();
  NonceCountTable table(100);
  const std::string old_nonce = key.issue(kNow, "r");
  const std::string new_nonce = key.issue(kNow + 10, "r");
  CHECK(table.accept(old_nonce, 1));
  CHECK(table.accept(new_nonce, 1));
  table.sweep(kNow + 10);
  CHECK(table.size() == 1);
  CHECK_FALSE(table.accept(new_nonce, 1));  // still remembered
}

TEST_CASE("at the cap the oldest nonce goes and can no longer be used") {
  const NonceKey key = NonceKey::generate();
  NonceCountTable table(2);
  const std::string n1 = key.issue(kNow, "r");
  const std::string n2 = key.issue(kNow + 1, "r");
  const std::string n3 = key.issue(kNow + 2, "r");
  CHECK(table.accept(n1, 1));
  CHECK(table.accept(n2, 1));
  CHECK(table.accept(n3, 1));  // evicts n1
  CHECK(table.size() == 2);
  CHECK_FALSE(table.accept(n1, 5));                  // history lost: refused even with a higher nc
  CHECK(table.accept(n2, 2));                        // still tracked
  CHECK(table.accept(key.issue(kNow + 3, "r"), 1));  // newer nonces still work
}

TEST_CASE("check hands back the nonce's id unless the nonce is forged") {
  const NonceKey key = NonceKey::generate();
  const std::string nonce = key.issue(kNow, "r");
  NonceId id;
  CHECK(key.check(nonce, "r", kNow, 300, &id) == NonceState::Fresh);
  CHECK(id == *NonceKey::idOf(nonce));
  NonceId expired;
  CHECK(key.check(nonce, "r", kNow + 301, 300, &expired) == NonceState::Expired);
  CHECK(expired == id);
  NonceId untouched{7, 7};
  CHECK(key.check(nonce, "other", kNow, 300, &untouched) == NonceState::Forged);
  CHECK(untouched == NonceId{7, 7});
  char text[NonceKey::kNonceLength];
  NonceId issued;
  key.issueInto(kNow, "r", text, &issued);
  CHECK(key.check(std::string_view(text, sizeof text), "r", kNow, 300) == NonceState::Fresh);
  CHECK(issued == *NonceKey::idOf(std::string_view(text, sizeof text)));
  CHECK(issued.issued == kNow);
}

TEST_CASE("accepting by id is accepting by nonce text") {
  const NonceKey key = NonceKey::generate();
  NonceCountTable table(100);
  const std::string nonce = key.issue(kNow, "r");
  CHECK(table.accept(*NonceKey::idOf(nonce), 1));
  CHECK_FALSE(table.accept(nonce, 1));
  CHECK(table.accept(nonce, 2));
  CHECK_FALSE(table.accept(*NonceKey::idOf(nonce), 2));
}

// The table as first written (a std::map in issue order), to compare against.
class ReferenceTable {
 public:
  explicit ReferenceTable(size_t max_entries) : max_entries_(max_entries) {}
  bool accept(const NonceId& id, uint32_t nc) {
    auto it = highest_.find(id);
    if (it != highest_.end()) {
      if (nc <= it->second) {
        return false;
      }
      it->second = nc;
      return true;
    }
    auto maybe_evicted = [&] { return evicted_up_to_ && id <= *evicted_up_to_; };
    if (maybe_evicted()) {
      return false;
    }
    while (max_entries_ > 0 && highest_.size() >= max_entries_) {
      auto oldest = highest_.begin();
      evicted_up_to_ = evicted_up_to_ ? std::max(*evicted_up_to_, oldest->first) : oldest->first;
      highest_.erase(oldest);
    }
    if (maybe_evicted()) {
      return false;
    }
    highest_.emplace(id, nc);
    return true;
  }
  void sweep(int64_t oldest_live) {
    while (!highest_.empty() && highest_.begin()->first.issued < oldest_live) {
      highest_.erase(highest_.begin());
    }
  }
  size_t size() const { return highest_.size(); }

 private:
  std::map<NonceId, uint32_t> highest_;
  size_t max_entries_;
  std::optional<NonceId> evicted_up_to_;
};

TEST_CASE("the nonce-count table decides as the ordered reference table does") {
  // Random accepts (new nonces, repeats, replays, out-of-order issue times),
  // sweeps and cap evictions; small random values so probe runs collide and
  // deletions shift entries. Every answer and size must match.
  for (size_t cap : {size_t{0}, size_t{1}, size_t{7}, size_t{64}, size_t{1000}}) {
    CAPTURE(cap);
    std::mt19937_64 rng(cap + 1);
    NonceCountTable table(cap);
    ReferenceTable reference(cap);
    std::vector<NonceId> known;
    int64_t now = kNow;
    for (int step = 0; step < 20000; ++step) {
      const uint64_t dice = rng() % 100;
      if (dice < 2) {
        now += static_cast<int64_t>(rng() % 5);
        const int64_t cutoff = now - 20;
        table.sweep(cutoff);
        reference.sweep(cutoff);
      } else {
        NonceId id;
        if (dice < 50 || known.empty()) {
          id = NonceId{now - static_cast<int64_t>(rng() % 30), rng() % 4096};
          known.push_back(id);
        } else {
          id = known[rng() % known.size()];
        }
        const auto nc = static_cast<uint32_t>(rng() % 6);
        REQUIRE(table.accept(id, nc) == reference.accept(id, nc));
      }
      REQUIRE(table.size() == reference.size());
    }
  }
}

}  // namespace
}  // namespace core::registrar
