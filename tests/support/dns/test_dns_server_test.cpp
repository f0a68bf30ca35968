// SPDX-License-Identifier: Apache-2.0
// The test DNS server itself: zone parsing and the answers it builds.
#include <doctest/doctest.h>

#include "tests/support/dns/dns_answer.h"
#include "tests/support/dns/test_dns_server.h"

namespace confab::testdns {
namespace {

// A standard query with one question (ID 0x1234, RD set).
std::string query(std::string_view name, uint16_t type) {
  std::string q = {'\x12', '\x34', '\x01', '\x00', 0, 1, 0, 0, 0, 0, 0, 0};
  q += encodeName(name);
  q += {static_cast<char>(type >> 8), static_cast<char>(type & 0xff), 0, 1};
  return q;
}

uint8_t rcode(const Answer& a) { return static_cast<uint8_t>((*a.wire)[3]) & 0x0f; }
uint16_t answerCount(const Answer& a) {
  return static_cast<uint16_t>(static_cast<uint8_t>((*a.wire)[6]) << 8 |
                               static_cast<uint8_t>((*a.wire)[7]));
}

constexpr const char* kZone = R"(
records:
  - {name: B.test., type: SRV, ttl: 5, priority: 1, weight: 2, port: 5061, target: sip.b.test}
  - {name: sip.b.test, type: A, address: 127.0.0.2}
  - {name: sip.b.test, type: A, address: 127.0.0.3}
names:
  bad.test: {servfail: true}
  quiet.test: {drop: true}
)";

TEST_CASE("zone YAML: records and behaviours; errors name the record") {
  auto zone = parseZone(kZone);
  REQUIRE(zone);
  CHECK(zone->records.size() == 3);
  CHECK(zone->records[0].name == "b.test");
  CHECK(zone->records[0].ttl == 5);
  CHECK(zone->records[1].ttl == 60);
  CHECK(zone->behaviours.at("bad.test").servfail);
  CHECK(zone->behaviours.at("quiet.test").drop);

  auto bad = parseZone("records:\n  - {name: x.test, type: A, address: 300.1.1.1}\n");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().detail.find("x.test") != std::string::npos);
  CHECK_FALSE(parseZone("records:\n  - {name: x.test, type: MX}\n"));
  CHECK_FALSE(parseZone("records: [unclosed"));
}

TEST_CASE("answers: NOERROR with records, NODATA, NXDOMAIN, SERVFAIL, drop, garbage") {
  auto zone = parseZone(kZone);
  REQUIRE(zone);
  auto a = answerQuery(*zone, query("sip.B.test", 1));
  REQUIRE(a);
  REQUIRE(a->wire);
  CHECK(a->name == "sip.b.test");
  CHECK(rcode(*a) == 0);
  CHECK(answerCount(*a) == 2);
  CHECK((*a->wire)[0] == '\x12');  // the ID is echoed

  auto nodata = answerQuery(*zone, query("sip.b.test", 28));
  CHECK((rcode(*nodata) == 0 && answerCount(*nodata) == 0));
  CHECK(rcode(*answerQuery(*zone, query("none.test", 1))) == 3);
  CHECK(rcode(*answerQuery(*zone, query("bad.test", 1))) == 2);
  auto dropped = answerQuery(*zone, query("quiet.test", 1));
  REQUIRE(dropped);
  CHECK_FALSE(dropped->wire);
  CHECK_FALSE(answerQuery(*zone, "\x01\x02"));
  CHECK_FALSE(answerQuery(*zone, query("sip.b.test", 1).substr(0, 15)));
}

TEST_CASE("server binds an ephemeral loopback port and swaps zones") {
  auto zone = parseZone(kZone);
  REQUIRE(zone);
  auto server = TestDnsServer::start(std::move(*zone));
  REQUIRE(server);
  CHECK((*server)->port() != 0);
  CHECK((*server)->serverSpec() == "127.0.0.1:" + std::to_string((*server)->port()));
  (*server)->setZone(Zone{});
  CHECK((*server)->queryCount() == 0);
  CHECK_FALSE(TestDnsServer::start(Zone{}, "not-an-ip"));
}

}  // namespace
}  // namespace confab::testdns
