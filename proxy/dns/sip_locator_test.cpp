// SPDX-License-Identifier: Apache-2.0
// SipLocator against the test DNS server on loopback: the RFC 3263 steps, caching,
// coalescing, failures and teardown. Cache expiry runs on a ManualClock; everything
// else waits on the loop with bounded deadlines.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "proxy/base/counters.h"
#include "proxy/dns/sip_locator.h"
#include "tests/support/dns/test_dns_server.h"

namespace proxy::dns {
namespace {

using confab::testdns::RecordType;
using confab::testdns::TestDnsServer;
using transport::Protocol;
using Hops = Result<std::vector<NextHop>>;

constexpr const char* kZone = R"(
records:
  # b.test: NAPTR -> SRV -> A, with records a SIP client must skip
  - {name: b.test, type: NAPTR, order: 20, preference: 10, flags: s, service: "SIP+D2T", replacement: _sip._tcp.b.test}
  - {name: b.test, type: NAPTR, order: 10, preference: 10, flags: s, service: "SIPS+D2T", replacement: _sips._tcp.b.test}
  - {name: b.test, type: NAPTR, order: 5, preference: 10, flags: s, service: "SIP+D2S", replacement: _sip._sctp.b.test}
  - {name: b.test, type: NAPTR, order: 1, preference: 1, flags: u, service: "E2U+sip", regexp: "!.*!x!", replacement: .}
  - {name: _sips._tcp.b.test, type: SRV, priority: 10, weight: 0, port: 5061, target: tls.b.test}
  - {name: _sip._tcp.b.test, type: SRV, priority: 10, weight: 0, port: 5060, target: tcp.b.test}
  - {name: tls.b.test, type: A, address: 127.0.0.11}
  - {name: tcp.b.test, type: A, address: 127.0.0.12}
  # c.test: no NAPTR; SRV priorities across two names
  - {name: _sip._tcp.c.test, type: SRV, priority: 20, weight: 0, port: 5080, target: backup.c.test}
  - {name: _sip._tcp.c.test, type: SRV, priority: 10, weight: 0, port: 5070, target: main.c.test}
  - {name: _sip._udp.c.test, type: SRV, priority: 1, weight: 0, port: 5090, target: main.c.test}
  - {name: main.c.test, type: A, address: 127.0.0.21}
  - {name: backup.c.test, type: A, address: 127.0.0.22}
  - {name: c.test, type: A, address: 127.0.0.99}
  # ocs.test: an OCS/Lync edge publishing only _sipfederationtls._tcp
  - {name: _sipfederationtls._tcp.ocs.test, type: SRV, priority: 0, weight: 0, port: 5061, target: sip-edge.ocs.test}
  - {name: sip-edge.ocs.test, type: A, address: 127.0.0.31}
  # lync.test: the OCS NAPTR form pointing at _sipfederationtls._tcp
  - {name: lync.test, type: NAPTR, order: 10, preference: 10, flags: s, service: "SIPS+D2T", replacement: _sipfederationtls._tcp.lync.test}
  - {name: _sipfederationtls._tcp.lync.test, type: SRV, priority: 0, weight: 0, port: 5062, target: edge.lync.test}
  - {name: edge.lync.test, type: A, address: 127.0.0.32}
  # d.test: only an address
  - {name: d.test, type: A, ttl: 5, address: 127.0.0.41}
  # e.test: SRV targets with IPv6
  - {name: _sip._tcp.e.test, type: SRV, priority: 1, weight: 0, port: 5060, target: v6.e.test}
  - {name: _sip._tcp.e.test, type: SRV, priority: 2, weight: 0, port: 5060, target: dual.e.test}
  - {name: v6.e.test, type: AAAA, address: "::1"}
  - {name: dual.e.test, type: AAAA, address: "::2"}
  - {name: dual.e.test, type: A, address: 127.0.0.52}
  # ttl.test: short TTLs (the smallest, 5 s on the A record, bounds the answer)
  - {name: _sip._tcp.ttl.test, type: SRV, ttl: 20, priority: 1, weight: 0, port: 5060, target: h.ttl.test}
  - {name: h.ttl.test, type: A, ttl: 5, address: 127.0.0.61}
  # half.test: one SRV target has no address
  - {name: _sip._tcp.half.test, type: SRV, priority: 1, weight: 0, port: 5060, target: gone.half.test}
  - {name: _sip._tcp.half.test, type: SRV, priority: 2, weight: 0, port: 5060, target: ok.half.test}
  - {name: ok.half.test, type: A, address: 127.0.0.71}
  - {name: host.test, type: A, address: 127.0.0.81}
names:
  broken.test: {servfail: true}
  silent.test: {drop: true}
)";

// A loop, the test DNS server and helpers that run the loop until an answer arrives.
class Fixture {
 public:
  Fixture() {
    uv_loop_init(&loop_);
    auto zone = confab::testdns::parseZone(kZone);
    REQUIRE(zone);
    auto server = TestDnsServer::start(std::move(*zone));
    REQUIRE(server);
    server_ = std::move(*server);
  }
  ~Fixture() {
    locator_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);  // lets closing handles finish
    CHECK(uv_loop_close(&loop_) == 0);
  }

  SipLocator& locator(DnsOptions options = {}) {
    options.servers = {server_->serverSpec()};
    options.clock = &clock_;
    if (options.timeout_ms == 2000) {
      options.timeout_ms = 500;
    }
    auto created = SipLocator::create(&loop_, std::move(options));
    REQUIRE(created);
    locator_ = std::move(*created);
    return *locator_;
  }

  // Runs the loop until `done()` or `limit`; true if `done()` became true.
  bool runUntil(const std::function<bool()>& done,
                std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    uv_timer_t tick;  // keeps UV_RUN_ONCE from blocking past the deadline
    uv_timer_init(&loop_, &tick);
    uv_timer_start(
        &tick, [](uv_timer_t*) {}, 10, 10);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      uv_run(&loop_, UV_RUN_ONCE);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
    return done();
  }

  Hops locate(std::string_view domain, std::vector<Protocol> allowed = {}) {
    std::optional<Hops> result;
    locator_->locate(domain, std::move(allowed), [&](Hops r) { result = std::move(r); });
    REQUIRE(runUntil([&] { return result.has_value(); }));
    return std::move(*result);
  }

  Hops resolveHost(std::string_view host, uint16_t port, Protocol protocol) {
    std::optional<Hops> result;
    locator_->resolveHost(host, port, protocol, "tls.name", [&](Hops r) { result = std::move(r); });
    REQUIRE(runUntil([&] { return result.has_value(); }));
    return std::move(*result);
  }

  TestDnsServer& server() { return *server_; }
  ManualClock& clock() { return clock_; }
  uv_loop_t& loop() { return loop_; }
  std::unique_ptr<SipLocator>& locatorPtr() { return locator_; }

 private:
  uv_loop_t loop_{};
  ManualClock clock_;
  std::unique_ptr<TestDnsServer> server_;
  std::unique_ptr<SipLocator> locator_;
};

std::vector<std::string> describe(const Hops& hops) {
  std::vector<std::string> out;
  for (const auto& h : hops.value()) {
    out.push_back(std::string(transport::protocolName(h.protocol)) + " " + h.address.toString());
  }
  return out;
}

uint64_t counter(std::string_view name) { return counters::get(name).value(); }

TEST_CASE("NAPTR -> SRV -> A: supported services in NAPTR order, tls_name is the domain") {
  Fixture f;
  f.locator();
  auto hops = f.locate("B.Test.");
  REQUIRE(hops);
  CHECK(describe(hops) == std::vector<std::string>{"TLS 127.0.0.11:5061", "TCP 127.0.0.12:5060"});
  for (const auto& h : *hops) {
    CHECK(h.tls_name == "b.test");  // not tls.b.test, the SRV target
  }
  // NAPTR answered, so the RFC 3263 fallback names were never asked.
  CHECK(f.server().queryCount("_sip._udp.b.test", RecordType::SRV) == 0);
  CHECK(f.server().queryCount("_sip._sctp.b.test", RecordType::SRV) == 0);

  SUBCASE("allowed restricts and reorders") {
    CHECK(describe(f.locate("b.test", {Protocol::Tcp})) ==
          std::vector<std::string>{"TCP 127.0.0.12:5060"});
    CHECK(describe(f.locate("b.test", {Protocol::Tcp, Protocol::Tls})) ==
          std::vector<std::string>{"TCP 127.0.0.12:5060", "TLS 127.0.0.11:5061"});
    auto none = f.locate("b.test", {Protocol::Udp});
    REQUIRE_FALSE(none);
    CHECK(none.error().detail.find("b.test") != std::string::npos);
  }
}

TEST_CASE("SRV without NAPTR: priorities order targets, TCP names before UDP") {
  Fixture f;
  f.locator();
  auto hops = f.locate("c.test");
  REQUIRE(hops);
  CHECK(describe(hops) == std::vector<std::string>{"TCP 127.0.0.21:5070", "TCP 127.0.0.22:5080",
                                                   "UDP 127.0.0.21:5090"});
  CHECK(f.server().queryCount("c.test", RecordType::NAPTR) == 1);
  CHECK(f.server().queryCount("_sips._tcp.c.test", RecordType::SRV) == 1);
  CHECK(f.server().queryCount("c.test", RecordType::A) == 0);  // SRV found: no A fallback
}

TEST_CASE("OCS/Lync edges: _sipfederationtls._tcp is discovered as TLS") {
  Fixture f;
  f.locator();
  auto hops = f.locate("ocs.test");
  REQUIRE(hops);
  CHECK(describe(hops) == std::vector<std::string>{"TLS 127.0.0.31:5061"});
  CHECK((*hops)[0].tls_name == "ocs.test");

  auto via_naptr = f.locate("lync.test", {Protocol::Tls});
  REQUIRE(via_naptr);
  CHECK(describe(via_naptr) == std::vector<std::string>{"TLS 127.0.0.32:5062"});
  CHECK((*via_naptr)[0].tls_name == "lync.test");
}

TEST_CASE("no NAPTR or SRV: the domain's address, TLS 5061 first, then TCP and UDP 5060") {
  Fixture f;
  f.locator();
  auto hops = f.locate("d.test");
  REQUIRE(hops);
  CHECK(describe(hops) == std::vector<std::string>{"TLS 127.0.0.41:5061", "TCP 127.0.0.41:5060",
                                                   "UDP 127.0.0.41:5060"});
  CHECK((*hops)[0].tls_name == "d.test");
}

TEST_CASE("AAAA targets; A before AAAA for a dual-stack target") {
  Fixture f;
  f.locator();
  auto hops = f.locate("e.test");
  REQUIRE(hops);
  CHECK(describe(hops) ==
        std::vector<std::string>{"TCP [::1]:5060", "TCP 127.0.0.52:5060", "TCP [::2]:5060"});
}

TEST_CASE("a target without addresses is skipped, the others remain") {
  Fixture f;
  f.locator();
  CHECK(describe(f.locate("half.test")) == std::vector<std::string>{"TCP 127.0.0.71:5060"});
}

TEST_CASE("answers are cached for the smallest TTL, then asked again") {
  Fixture f;
  auto& locator = f.locator();
  auto first = f.locate("ttl.test");
  REQUIRE(first);
  size_t queries = f.server().queryCount();
  uint64_t hits = counter("dns.cache_hits");

  // From the cache: synchronously, with no query.
  std::optional<Hops> again;
  locator.locate("ttl.test", {}, [&](Hops r) { again = std::move(r); });
  REQUIRE(again.has_value());
  CHECK(describe(*again) == describe(first));
  CHECK(counter("dns.cache_hits") == hits + 1);
  CHECK(f.server().queryCount() == queries);
  REQUIRE(locator.cached("ttl.test"));
  CHECK(locator.cached("ttl.test")->size() == 1);
  CHECK_FALSE(locator.cached("never-asked.test"));

  // The A record (5 s) expires first; the answer changes under it.
  auto zone = confab::testdns::parseZone(kZone);
  REQUIRE(zone);
  for (auto& r : zone->records) {
    if (r.name == "h.ttl.test") {
      r.rdata = std::string("\x7f\x00\x00\x3e", 4);  // 127.0.0.62
    }
  }
  f.server().setZone(std::move(*zone));
  f.clock().advanceMs(4000);
  CHECK(describe(f.locate("ttl.test")) == std::vector<std::string>{"TCP 127.0.0.61:5060"});
  f.clock().advanceMs(1500);
  CHECK_FALSE(locator.cached("ttl.test"));
  CHECK(describe(f.locate("ttl.test")) == std::vector<std::string>{"TCP 127.0.0.62:5060"});
  CHECK(f.server().queryCount("_sip._tcp.ttl.test", RecordType::SRV) == 2);
}

TEST_CASE("a cached target address lends only its remaining TTL to a new answer") {
  Fixture f;
  auto& locator = f.locator();
  REQUIRE(f.resolveHost("h.ttl.test", 5060, Protocol::Tcp));  // A cached for 5 s
  f.clock().advanceMs(3000);
  REQUIRE(f.locate("ttl.test"));  // SRV fresh (20 s), target from the cache (2 s left)
  CHECK(f.server().queryCount("h.ttl.test", RecordType::A) == 1);
  CHECK(locator.cached("ttl.test"));
  f.clock().advanceMs(2500);
  CHECK_FALSE(locator.cached("ttl.test"));
}

TEST_CASE("max_ttl_s caps the cache lifetime") {
  Fixture f;
  DnsOptions options;
  options.max_ttl_s = 2;
  f.locator(options);
  REQUIRE(f.locate("c.test"));
  f.clock().advanceMs(1000);
  REQUIRE(f.locate("c.test"));
  CHECK(f.server().queryCount("c.test", RecordType::NAPTR) == 1);
  f.clock().advanceMs(1500);
  REQUIRE(f.locate("c.test"));
  CHECK(f.server().queryCount("c.test", RecordType::NAPTR) == 2);
}

TEST_CASE("failures are cached for negative_ttl_s") {
  Fixture f;
  DnsOptions options;
  options.negative_ttl_s = 10;
  auto& locator = f.locator(options);
  uint64_t failures = counter("dns.failures");
  auto missing = f.locate("nowhere.test");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().status == 503);
  CHECK(missing.error().detail.find("nowhere.test") != std::string::npos);
  CHECK(counter("dns.failures") == failures + 1);
  size_t queries = f.server().queryCount();

  std::optional<Hops> again;
  locator.locate("nowhere.test", {}, [&](Hops r) { again = std::move(r); });
  REQUIRE(again.has_value());
  CHECK_FALSE(*again);
  CHECK(f.server().queryCount() == queries);
  CHECK_FALSE(locator.cached("nowhere.test"));  // failures are not offered to sync callers

  auto zone = confab::testdns::parseZone(kZone);  // the same zone plus the missing name
  REQUIRE(zone);
  zone->records.push_back({"nowhere.test", RecordType::A, 60, std::string("\x7f\x00\x00\x5b", 4)});
  f.server().setZone(std::move(*zone));
  f.clock().advanceMs(9000);
  CHECK_FALSE(f.locate("nowhere.test"));
  f.clock().advanceMs(1500);
  auto found = f.locate("nowhere.test");
  REQUIRE(found);
  CHECK(found->front().address.toString() == "127.0.0.91:5061");
}

TEST_CASE("SERVFAIL and dropped queries fail within the timeout") {
  Fixture f;
  DnsOptions options;
  options.timeout_ms = 300;
  f.locator(options);
  auto servfail = f.locate("broken.test");
  REQUIRE_FALSE(servfail);
  CHECK(servfail.error().detail.find("broken.test") != std::string::npos);

  auto start = std::chrono::steady_clock::now();
  auto dropped = f.locate("silent.test");
  auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(dropped);
  CHECK(dropped.error().detail.find("silent.test") != std::string::npos);
  CHECK(elapsed >= std::chrono::milliseconds(250));
  CHECK(elapsed < std::chrono::milliseconds(2000));
  CHECK(f.locatorPtr()->pendingQueries() == 0);
}

TEST_CASE("an unreachable DNS server is an error, not a hang") {
  Fixture f;
  DnsOptions options;
  options.servers = {"127.0.0.1:1"};  // nothing listens on port 1
  options.timeout_ms = 300;
  options.clock = &f.clock();
  auto locator = SipLocator::create(&f.loop(), options);
  REQUIRE(locator);
  std::optional<Hops> result;
  (*locator)->locate("b.test", {}, [&](Hops r) { result = std::move(r); });
  REQUIRE(f.runUntil([&] { return result.has_value(); }, std::chrono::milliseconds(3000)));
  CHECK_FALSE(*result);
  locator->reset();

  CHECK_FALSE(SipLocator::create(&f.loop(), DnsOptions{{"not a server"}}));
}

TEST_CASE("identical concurrent lookups share one set of queries") {
  Fixture f;
  auto& locator = f.locator();
  std::optional<Hops> all, tcp, host;
  locator.locate("b.test", {}, [&](Hops r) { all = std::move(r); });
  locator.locate("b.test", {Protocol::Tcp}, [&](Hops r) { tcp = std::move(r); });
  locator.resolveHost("tls.b.test", 7000, Protocol::Tls, "b.test",
                      [&](Hops r) { host = std::move(r); });
  CHECK(locator.pendingQueries() > 0);
  REQUIRE(f.runUntil([&] { return all && tcp && host; }));
  CHECK(f.server().queryCount("b.test", RecordType::NAPTR) == 1);
  CHECK(f.server().queryCount("tls.b.test", RecordType::A) == 1);  // resolveHost and the SRV target
  REQUIRE(*all);
  CHECK((*all)->size() == 2);
  CHECK(describe(*tcp) == std::vector<std::string>{"TCP 127.0.0.12:5060"});
  CHECK(describe(*host) == std::vector<std::string>{"TLS 127.0.0.11:7000"});
  CHECK(locator.pendingQueries() == 0);
}

TEST_CASE("resolveHost: IP literals answer at once, names through A/AAAA") {
  Fixture f;
  auto& locator = f.locator();
  std::optional<Hops> literal;
  locator.resolveHost("[::1]", 5061, Protocol::Tls, "peer.test", [&](Hops r) { literal = r; });
  REQUIRE(literal.has_value());
  REQUIRE(*literal);
  CHECK((*literal)->front().address.toString() == "[::1]:5061");
  CHECK((*literal)->front().tls_name == "peer.test");

  auto named = f.resolveHost("host.test", 5070, Protocol::Tcp);
  REQUIRE(named);
  CHECK(describe(named) == std::vector<std::string>{"TCP 127.0.0.81:5070"});
  CHECK(named->front().tls_name == "tls.name");
  CHECK_FALSE(f.resolveHost("nohost.test", 5060, Protocol::Udp));
  CHECK_FALSE(f.resolveHost("bad host!", 5060, Protocol::Udp));

  std::optional<Hops> ip_domain;
  locator.locate("127.0.0.5", {Protocol::Tcp}, [&](Hops r) { ip_domain = r; });
  REQUIRE(ip_domain.has_value());
  CHECK(describe(*ip_domain) == std::vector<std::string>{"TCP 127.0.0.5:5060"});
}

TEST_CASE("destroying the locator with queries pending: callbacks never run, nothing leaks") {
  Fixture f;
  DnsOptions options;
  options.timeout_ms = 1000;
  auto& locator = f.locator(options);
  int called = 0;
  locator.locate("silent.test", {}, [&](Hops) { ++called; });
  locator.resolveHost("silent.test", 1, Protocol::Udp, "", [&](Hops) { ++called; });
  // Let the queries reach the server (which never answers), then tear down mid-flight,
  // with a further lookup sent and not yet read.
  REQUIRE(f.runUntil([&] { return f.server().queryCount() >= 3; }));
  locator.locate("b.test", {}, [&](Hops) { ++called; });
  CHECK(locator.pendingQueries() == 4);  // NAPTR, A, AAAA of silent.test; NAPTR of b.test
  f.locatorPtr().reset();
  f.runUntil([] { return false; }, std::chrono::milliseconds(50));
  CHECK(called == 0);
}

TEST_CASE("a callback may destroy the locator") {
  Fixture f;
  auto& locator = f.locator();
  int called = 0;
  locator.locate("b.test", {}, [&](Hops r) {
    ++called;
    CHECK(r);
    f.locatorPtr().reset();
  });
  locator.locate("b.test", {}, [&](Hops) { ++called; });  // coalesced, then cancelled
  REQUIRE(f.runUntil([&] { return called > 0; }));
  f.runUntil([] { return false; }, std::chrono::milliseconds(50));
  CHECK(called == 1);
}

}  // namespace
}  // namespace proxy::dns
