// SPDX-License-Identifier: Apache-2.0
// c-ares decoding of real answers (built by the test DNS server) and the RFC 3263 /
// RFC 2782 orderings.
#include <doctest/doctest.h>

#include "proxy/dns/dns_records.h"
#include "tests/support/dns/dns_answer.h"

namespace proxy::dns {
namespace {

using transport::Protocol;

std::vector<unsigned char> wireAnswer(const char* zone_yaml, std::string_view name, uint16_t type) {
  auto zone = confab::testdns::parseZone(zone_yaml);
  REQUIRE(zone);
  std::string query = {'\x00', '\x07', '\x01', '\x00', 0, 1, 0, 0, 0, 0, 0, 0};
  query += confab::testdns::encodeName(name);
  query += {static_cast<char>(type >> 8), static_cast<char>(type & 0xff), 0, 1};
  auto answer = confab::testdns::answerQuery(*zone, query);
  REQUIRE(answer);
  REQUIRE(answer->wire);
  return {answer->wire->begin(), answer->wire->end()};
}

constexpr const char* kZone = R"(
records:
  - {name: b.test, type: NAPTR, ttl: 300, order: 20, preference: 5, flags: s, service: "SIP+D2T", replacement: _sip._tcp.b.test}
  - {name: b.test, type: NAPTR, ttl: 120, order: 10, preference: 5, flags: S, service: "SIPS+D2T", replacement: _sips._tcp.b.test}
  - {name: b.test, type: NAPTR, ttl: 300, order: 1, preference: 1, flags: u, service: "E2U+sip", regexp: "!^.*$!sip:x@b.test!", replacement: .}
  - {name: _sip._tcp.b.test, type: SRV, ttl: 40, priority: 1, weight: 7, port: 5070, target: sip.b.test}
  - {name: sip.b.test, type: A, ttl: 33, address: 127.0.0.9}
  - {name: sip.b.test, type: A, ttl: 31, address: 127.0.0.10}
  - {name: sip.b.test, type: AAAA, ttl: 20, address: "::1"}
)";

TEST_CASE("c-ares parses NAPTR, SRV, A and AAAA answers; TTLs come out") {
  auto naptr_wire = wireAnswer(kZone, "b.test", 35);
  auto naptr = parseNaptr(naptr_wire);
  REQUIRE(naptr);
  CHECK(naptr->size() == 3);
  CHECK(minAnswerTtl(naptr_wire) == 120u);

  auto usable = usableNaptr(*naptr);
  REQUIRE(usable.size() == 2);
  CHECK(usable[0].service == "SIPS+D2T");
  CHECK(usable[0].replacement == "_sips._tcp.b.test");
  CHECK(usable[1].service == "SIP+D2T");

  auto srv = parseSrv(wireAnswer(kZone, "_sip._tcp.b.test", 33));
  REQUIRE(srv);
  REQUIRE(srv->size() == 1);
  CHECK((*srv)[0].port == 5070);
  CHECK((*srv)[0].weight == 7);
  CHECK((*srv)[0].target == "sip.b.test");

  auto a = parseA(wireAnswer(kZone, "sip.b.test", 1));
  REQUIRE(a);
  REQUIRE(a->addresses.size() == 2);
  CHECK(a->addresses[0].ip() == "127.0.0.9");
  CHECK(a->ttl_s == 31);
  auto aaaa = parseAaaa(wireAnswer(kZone, "sip.b.test", 28));
  REQUIRE(aaaa);
  REQUIRE(aaaa->addresses.size() == 1);
  CHECK(aaaa->addresses[0].ip() == "::1");
  CHECK(aaaa->ttl_s == 20);
}

TEST_CASE("empty, wrong and garbage answers are errors, not crashes") {
  CHECK_FALSE(parseSrv(wireAnswer(kZone, "sip.b.test", 33)));  // NODATA
  CHECK_FALSE(parseA(wireAnswer(kZone, "nowhere.test", 1)));   // NXDOMAIN
  std::vector<unsigned char> garbage = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
  CHECK_FALSE(parseNaptr(garbage));
  CHECK_FALSE(parseA({}));
  CHECK_FALSE(minAnswerTtl({1, 2}));
  auto truncated = wireAnswer(kZone, "sip.b.test", 1);
  truncated.resize(truncated.size() - 3);
  CHECK_FALSE(parseA(truncated));
}

TEST_CASE("NAPTR services map to transports") {
  CHECK(naptrServiceProtocol("SIPS+D2T") == Protocol::Tls);
  CHECK(naptrServiceProtocol("sip+d2t") == Protocol::Tcp);
  CHECK(naptrServiceProtocol("SIP+D2U") == Protocol::Udp);
  CHECK_FALSE(naptrServiceProtocol("SIP+D2S"));  // SCTP: not supported
  CHECK_FALSE(naptrServiceProtocol("E2U+sip"));
}

TEST_CASE("SRV order: priority first, zero weights first, then weighted random") {
  std::vector<SrvRecord> records = {{20, 0, 1, "low.test"},
                                    {10, 50, 2, "heavy.test"},
                                    {10, 0, 3, "zero.test"},
                                    {10, 10, 4, "light.test"},
                                    {5, 0, 5, "."}};
  // Picks of 0 always take the first candidate: the zero-weight one, then in list order.
  auto first = orderSrv(records, [] { return uint64_t{0}; });
  REQUIRE(first.size() == 4);  // "." dropped
  CHECK(first[0].target == "zero.test");
  CHECK(first[1].target == "heavy.test");
  CHECK(first[2].target == "light.test");
  CHECK(first[3].target == "low.test");

  // A pick past heavy's share (running sums 0, 50, 60 of 60) selects light.
  auto second = orderSrv(records, [] { return uint64_t{55}; });
  CHECK(second[0].target == "light.test");
  CHECK(second[3].target == "low.test");

  // Over many draws the heavy record leads the light one about 50:10.
  int heavy_first = 0;
  uint64_t seed = 12345;
  auto lcg = [&seed] { return seed = seed * 6364136223846793005ULL + 1442695040888963407ULL; };
  for (int i = 0; i < 600; ++i) {
    auto ordered = orderSrv({{10, 50, 1, "heavy.test"}, {10, 10, 2, "light.test"}},
                            [&] { return lcg() >> 33; });
    heavy_first += ordered[0].target == "heavy.test" ? 1 : 0;
  }
  CHECK(heavy_first > 420);
  CHECK(heavy_first < 580);
}

TEST_CASE("domain names are normalised; junk is rejected") {
  CHECK(normaliseDomain(" B.Test. ") == "b.test");
  CHECK(normaliseDomain("_sip._tcp.b.test") == "_sip._tcp.b.test");
  CHECK(normaliseDomain(".").empty());
  CHECK(normaliseDomain("").empty());
  CHECK(normaliseDomain("a b.test").empty());
  CHECK(normaliseDomain(std::string(300, 'a')).empty());
}

}  // namespace
}  // namespace proxy::dns
