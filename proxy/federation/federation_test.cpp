// SPDX-License-Identifier: Apache-2.0
// The federation edge's decisions: peer identification, policy, the inbound
// rules, rate limits, loop detection and hop lookup (with a fake resolver).
#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "proxy/federation/federation_counters.h"
#include "proxy/federation/federation_edge.h"
#include "proxy/federation/loop_detection.h"
#include "proxy/federation/token_bucket.h"

namespace proxy::federation {
namespace {

config::Config load(const std::string& federation) {
  auto config = config::parseConfig(
      "domains: [a.test]\n"
      "listeners:\n"
      "  - { transport: tcp, address: 127.0.0.1, port: 5060 }\n"
      "  - { transport: tls, address: 127.0.0.1, port: 5061, certificate: c.pem, "
      "private_key: k.pem }\n" +
          federation,
      "test.yaml");
  REQUIRE_MESSAGE(config, (config ? "" : config.error().detail));
  return std::move(*config);
}

const char* kPeers =
    "federation:\n"
    "  blocked_domains: [evil.test]\n"
    "  peers:\n"
    "    - domain: b.test\n"
    "      sources: [10.0.0.0/24]\n"
    "      requests_per_second: 2\n"
    "    - domain: c.test\n"
    "      require_tls: true\n"
    "      next_hops:\n"
    "        - { host: 10.9.0.1, port: 5071, transport: tls }\n"
    "        - { host: c-backup.test, transport: tls }\n";

routing::LocalAddresses localAddresses() {
  routing::LocalAddresses us;
  us.addDomain("a.test");
  us.addListener(transport::Protocol::Tcp, "127.0.0.1", 5060);
  us.addListener(transport::Protocol::Tls, "127.0.0.1", 5061);
  return us;
}

transport::Flow flowFrom(const char* ip, transport::Protocol protocol = transport::Protocol::Tcp) {
  transport::Flow flow;
  flow.protocol = protocol;
  flow.remote = *transport::Address::fromIpPort(ip, 40000);
  flow.connection_id = 7;
  return flow;
}

sip::SipMessage request(const std::string& ruri, const std::string& from,
                        const std::string& extra = "", const std::string& to_tag = "") {
  std::string text = "MESSAGE " + ruri +
                     " SIP/2.0\r\n"
                     "Via: SIP/2.0/TCP 10.0.0.5:5060;branch=z9hG4bK-1\r\n"
                     "From: <" +
                     from +
                     ">;tag=f1\r\n"
                     "To: <" +
                     ruri + ">" + (to_tag.empty() ? "" : ";tag=" + to_tag) +
                     "\r\n"
                     "Call-ID: c1\r\n"
                     "CSeq: 1 MESSAGE\r\n"
                     "Max-Forwards: 70\r\n" +
                     extra + "Content-Length: 0\r\n\r\n";
  auto parsed = sip::SipMessage::parse(text);
  REQUIRE(parsed);
  return std::move(*parsed);
}

class FakeResolver final : public HopResolver {
 public:
  void locate(std::string_view domain, std::vector<transport::Protocol> allowed,
              dns::LocateDone done) override {
    located.emplace_back(domain);
    last_allowed = std::move(allowed);
    if (domain == "d.test") {
      done(std::vector<Hop>{hop("10.4.0.1", 5061, transport::Protocol::Tls, "d.test"),
                            hop("10.4.0.2", 5060, transport::Protocol::Tcp, "d.test")});
    } else {
      done(makeError(503, "NXDOMAIN"));
    }
  }
  void resolveHost(std::string_view host, uint16_t port, transport::Protocol protocol,
                   std::string tls_name, dns::LocateDone done) override {
    if (host == "c-backup.test") {
      pending = [=] { done(std::vector<Hop>{hop("10.9.0.2", port, protocol, tls_name)}); };
      return;
    }
    done(std::vector<Hop>{hop(std::string(host), port, protocol, tls_name)});
  }
  std::optional<std::vector<Hop>> cached(std::string_view domain) const override {
    if (domain == "d.test") {
      return std::vector<Hop>{hop("10.4.0.1", 5061, transport::Protocol::Tls, "d.test")};
    }
    return std::nullopt;
  }
  static Hop hop(const std::string& ip, uint16_t port, transport::Protocol protocol,
                 std::string name) {
    return Hop{protocol, *transport::Address::fromIpPort(ip, port), std::move(name)};
  }

  std::vector<std::string> located;
  std::vector<transport::Protocol> last_allowed;
  std::function<void()> pending;
};

}  // namespace

TEST_CASE("policy: closed federates with listed peers only; blocked and local never") {
  config::Config config = load(kPeers);
  PeerTable table(config);
  CHECK(table.policyFor("b.test") == Policy::Allowed);
  CHECK(table.policyFor("B.TEST") == Policy::Allowed);
  CHECK(table.policyFor("x.test") == Policy::NotFederated);
  CHECK(table.policyFor("evil.test") == Policy::Blocked);
  CHECK(table.policyFor("a.test") == Policy::NotFederated);
  CHECK(table.policyFor("") == Policy::NotFederated);
}

TEST_CASE("policy: open federates with any domain not blocked") {
  config::Config config = load("federation: { policy: open, blocked_domains: [evil.test] }\n");
  PeerTable table(config);
  CHECK(table.policyFor("x.test") == Policy::Allowed);
  CHECK(table.policyFor("evil.test") == Policy::Blocked);
  CHECK(table.policyFor("a.test") == Policy::NotFederated);
  CHECK(table.rateFor("x.test") == 500);
}

TEST_CASE("identify: by certificate names, by source address, never by the claim alone") {
  config::Config config = load(kPeers);
  PeerTable table(config);
  std::vector<std::string> names = {"c.test"};
  auto by_cert = table.identify(flowFrom("192.0.2.1", transport::Protocol::Tls), &names, "b.test");
  REQUIRE(by_cert);
  CHECK(by_cert->domain == "c.test");  // the certificate, not the claim
  CHECK(by_cert->by_tls);
  auto by_source = table.identify(flowFrom("10.0.0.9"), nullptr, "whatever.test");
  REQUIRE(by_source);
  CHECK(by_source->domain == "b.test");
  CHECK_FALSE(by_source->by_tls);
  CHECK_FALSE(table.identify(flowFrom("192.0.2.1"), nullptr, "b.test"));
  std::vector<std::string> unlisted = {"x.test", "a.test"};
  CHECK_FALSE(table.identify(flowFrom("192.0.2.1"), &unlisted, "x.test"));  // closed policy
  CHECK(table.rateFor("b.test") == 2);
}

TEST_CASE("inbound: spoofed From, local From and P-Asserted-Identity from a peer are refused") {
  config::Config config = load(kPeers);
  PeerTable table(config);
  routing::LocalAddresses us = localAddresses();
  const auto& c = FederationCounters::get();
  auto spoofed = judgeInbound(table, us, request("sip:alice@a.test", "sip:mallory@x.test"),
                              flowFrom("10.0.0.9"), nullptr, false, false);
  CHECK(spoofed.status == 403);
  CHECK(spoofed.reason == "Identity Not In Peer Domain");
  CHECK(spoofed.counter == &c.spoofed);
  CHECK(spoofed.claimed == "x.test");
  auto local = judgeInbound(table, us, request("sip:alice@a.test", "sip:bob@a.test"),
                            flowFrom("10.0.0.9"), nullptr, false, false);
  CHECK(local.status == 403);
  CHECK(local.counter == &c.spoofed);
  auto pai = judgeInbound(
      table, us,
      request("sip:alice@a.test", "sip:zoe@b.test", "P-Asserted-Identity: <sip:ceo@a.test>\r\n"),
      flowFrom("10.0.0.9"), nullptr, false, false);
  CHECK(pai.status == 403);
  CHECK(pai.counter == &c.spoofed);
  auto ok = judgeInbound(table, us, request("sip:alice@a.test", "sip:zoe@b.test"),
                         flowFrom("10.0.0.9"), nullptr, false, false);
  CHECK(ok.status == 0);
  REQUIRE(ok.peer);
  CHECK(ok.peer->domain == "b.test");
}

TEST_CASE("inbound: unverified foreign senders, TLS-only peers and open relay are refused") {
  config::Config config = load(kPeers);
  PeerTable table(config);
  routing::LocalAddresses us = localAddresses();
  const auto& c = FederationCounters::get();
  auto unverified = judgeInbound(table, us, request("sip:alice@a.test", "sip:zoe@b.test"),
                                 flowFrom("192.0.2.1"), nullptr, false, false);
  CHECK(unverified.status == 403);
  CHECK(unverified.counter == &c.unverified);
  // The same from a trusted network, or in a dialog, is not the edge's business.
  CHECK(judgeInbound(table, us, request("sip:alice@a.test", "sip:zoe@b.test"),
                     flowFrom("192.0.2.1"), nullptr, false, true)
            .status == 0);
  CHECK(judgeInbound(table, us, request("sip:alice@a.test", "sip:zoe@b.test", "", "t1"),
                     flowFrom("192.0.2.1"), nullptr, true, false)
            .status == 0);
  auto blocked = judgeInbound(table, us, request("sip:alice@a.test", "sip:eve@evil.test"),
                              flowFrom("192.0.2.1"), nullptr, false, false);
  CHECK(blocked.counter == &c.blocked);
  // c.test over TLS with its certificate: fine; claimed by its address alone over TCP: no.
  std::vector<std::string> names = {"c.test"};
  CHECK(judgeInbound(table, us, request("sip:alice@a.test", "sip:carol@c.test"),
                     flowFrom("192.0.2.7", transport::Protocol::Tls), &names, false, false)
            .status == 0);
  auto relay = judgeInbound(table, us, request("sip:dave@d.test", "sip:zoe@b.test"),
                            flowFrom("10.0.0.9"), nullptr, false, false);
  CHECK(relay.status == 403);
  CHECK(relay.reason == "Relaying Denied");
  CHECK(relay.counter == &c.relay);
}

TEST_CASE("inbound: require_tls refuses a peer over TCP") {
  config::Config config = load(
      "federation:\n  peers:\n    - { domain: b.test, sources: [10.0.0.0/24], require_tls: true "
      "}\n");
  PeerTable table(config);
  routing::LocalAddresses us = localAddresses();
  auto decision = judgeInbound(table, us, request("sip:alice@a.test", "sip:zoe@b.test"),
                               flowFrom("10.0.0.9"), nullptr, false, false);
  CHECK(decision.status == 403);
  CHECK(decision.reason == "TLS Required");
}

TEST_CASE("token bucket: a burst of one second's worth, then the rate") {
  config::Config config = load(kPeers);
  PeerLimiter limiter(config.federation);
  CHECK(limiter.allow("b.test", 2, 1000));
  CHECK(limiter.allow("b.test", 2, 1000));
  CHECK_FALSE(limiter.allow("b.test", 2, 1000));
  CHECK_FALSE(limiter.allow("b.test", 2, 1400));
  CHECK(limiter.allow("b.test", 2, 1500));  // 0.5 s refills one request
  CHECK_FALSE(limiter.allow("b.test", 2, 1500));
  CHECK(limiter.allow("c.test", 2, 1500));  // buckets are per peer
  CHECK(limiter.allow("u.test", 1, 1500));  // unlisted domains (open policy) too
  CHECK_FALSE(limiter.allow("u.test", 1, 1999));
  CHECK(limiter.allow("v.test", 1, 1999));
  CHECK(limiter.allow("u.test", 1, 2500));
  for (int i = 0; i < 100; ++i) {
    CHECK(limiter.allow("d.test", 0, 1500));  // 0 = unlimited
  }
  // Idle long enough, a bucket is full again, not fuller.
  for (int i = 0; i < 2; ++i) {
    CHECK(limiter.allow("b.test", 2, 60'000));
  }
  CHECK_FALSE(limiter.allow("b.test", 2, 60'000));
}

TEST_CASE("token bucket: the limit holds across threads (shards) sharing the limiter") {
  config::Config config = load(kPeers);
  PeerLimiter limiter(config.federation);
  constexpr int kThreads = 4;
  constexpr int kTries = 5000;
  constexpr uint32_t kRate = 1000;
  // The clock stands still: whatever the interleaving, exactly one burst passes.
  auto race = [&](const char* domain, int64_t now_ms) {
    std::atomic<int> passed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < kTries; ++i) {
          if (limiter.allow(domain, kRate, now_ms)) {
            passed.fetch_add(1, std::memory_order_relaxed);
          }
        }
      });
    }
    for (std::thread& t : threads) {
      t.join();
    }
    return passed.load();
  };
  CHECK(race("b.test", 10'000) == static_cast<int>(kRate));      // a listed peer
  CHECK(race("u.test", 10'000) == static_cast<int>(kRate));      // an unlisted one
  CHECK(race("b.test", 10'500) == static_cast<int>(kRate) / 2);  // half a second refills half

  // With time moving (each thread its own clock, as shards have), the total over
  // a span stays within the burst plus the rate times the span.
  std::atomic<int> passed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int ms = 0; ms < 2000; ++ms) {
        for (int i = 0; i < 3; ++i) {
          if (limiter.allow("c.test", 100, 100'000 + ms + t)) {
            passed.fetch_add(1, std::memory_order_relaxed);
          }
        }
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  CHECK(passed.load() >= 200);        // every refill is used: 4 shards x 3 a ms want more
  CHECK(passed.load() <= 100 + 201);  // burst + 100/s over 2.003 s
}

TEST_CASE("token bucket: unlisted domains claim their own slots, idle ones change hands") {
  config::Config config = load(kPeers);
  PeerLimiter limiter(config.federation);
  // Many more domains than probe slots per hash: each still gets its own burst.
  for (int i = 0; i < 500; ++i) {
    std::string domain = "d" + std::to_string(i) + ".test";
    CHECK(limiter.allow(domain, 1, 1000));
  }
  int refused = 0;
  for (int i = 0; i < 500; ++i) {
    refused += limiter.allow("d" + std::to_string(i) + ".test", 1, 1000) ? 0 : 1;
  }
  CHECK(refused == 500);
  // Idle buckets hand their slots on: more new domains than slots, each a
  // second after the last, all get their burst.
  for (int64_t i = 0; i < 5000; ++i) {
    CHECK(limiter.allow("n" + std::to_string(i) + ".test", 1, 2000 + 1000 * i));
  }
}

TEST_CASE("token bucket: every edge built from one config shares one limiter") {
  config::Config config = load(kPeers);
  config::Config other = load(kPeers);
  auto a = PeerLimiter::sharedFor(config.federation);
  auto b = PeerLimiter::sharedFor(config.federation);
  auto c = PeerLimiter::sharedFor(other.federation);
  CHECK(a.get() == b.get());
  CHECK(a.get() != c.get());
  routing::LocalAddresses us = localAddresses();
  FederationEdge shard0(config, us, nullptr, {});
  FederationEdge shard1(config, us, nullptr, {});
  CHECK(&shard0.limiter() == a.get());
  CHECK(&shard1.limiter() == a.get());
  CHECK(shard0.limiter().allow("b.test", 2, 1000));
  CHECK(shard1.limiter().allow("b.test", 2, 1000));
  CHECK_FALSE(shard0.limiter().allow("b.test", 2, 1000));
}

TEST_CASE("loop hash: our Via with this request's hash is a loop; a retargeted one is not") {
  routing::LocalAddresses us = localAddresses();
  sip::SipMessage out = request("sip:zoe@b.test", "sip:alice@a.test");
  std::string params = loopViaParams(out);
  CHECK(params.size() == 16);  // ";lh=" + 12 hex digits
  CHECK(loopHash(out) == loopHash(request("sip:zoe@b.test", "sip:alice@a.test")));
  CHECK(loopHash(out) != loopHash(request("sip:zoe2@b.test", "sip:alice@a.test")));
  std::string via = "Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK-0-x" + params + "\r\n";
  CHECK(isLooping(request("sip:zoe@b.test", "sip:alice@a.test", via), us));
  CHECK_FALSE(isLooping(request("sip:zoe@c.test", "sip:alice@a.test", via), us));  // spiral
  std::string theirs = "Via: SIP/2.0/TCP 10.1.1.1:5060;branch=z9hG4bK-0-x" + params + "\r\n";
  CHECK_FALSE(isLooping(request("sip:zoe@b.test", "sip:alice@a.test", theirs), us));
  config::Config config = load(kPeers);
  PeerTable table(config);
  auto decision = judgeInbound(table, us, request("sip:zoe@b.test", "sip:alice@a.test", via),
                               flowFrom("10.0.0.9"), nullptr, false, false);
  CHECK(decision.status == 482);
}

TEST_CASE("destination: the first remaining Route, else the Request-URI") {
  CHECK(destinationDomain(request("sip:zoe@B.test", "sip:alice@a.test")) == "b.test");
  CHECK(destinationDomain(request("sip:zoe@b.test", "sip:alice@a.test",
                                  "Route: <sip:edge.c.test;lr>\r\n")) == "edge.c.test");
  CHECK(destinationDomain(request("tel:+123", "sip:alice@a.test")).empty());
}

TEST_CASE("hops: configured next_hops resolve in order; other domains use discovery") {
  config::Config config = load(kPeers);
  routing::LocalAddresses us = localAddresses();
  auto fake = std::make_unique<FakeResolver>();
  FakeResolver* resolver = fake.get();
  FederationEdge edge(config, us, std::move(fake), {});
  std::optional<Result<std::vector<Hop>>> got;
  edge.findHops("c.test", [&](Result<std::vector<Hop>> hops) { got = std::move(hops); });
  CHECK_FALSE(got);  // the second host is still resolving
  REQUIRE(resolver->pending);
  resolver->pending();
  REQUIRE(got);
  REQUIRE(*got);
  REQUIRE((*got)->size() == 2);
  CHECK((**got)[0].address.toString() == "10.9.0.1:5071");
  CHECK((**got)[1].address.toString() == "10.9.0.2:5061");
  CHECK((**got)[1].tls_name == "c.test");
  CHECK(resolver->located.empty());

  got.reset();
  edge.findHops("d.test", [&](Result<std::vector<Hop>> hops) { got = std::move(hops); });
  REQUIRE(got);
  REQUIRE(*got);
  CHECK(resolver->located == std::vector<std::string>{"d.test"});
  CHECK(resolver->last_allowed.front() == transport::Protocol::Tls);

  sip::SipMessage req = request("sip:dave@d.test", "sip:alice@a.test");
  routing::Target target = edge.makeTarget(req, "d.test", **got, 1);
  CHECK(target.uri == "sip:dave@d.test");
  REQUIRE(target.flow);
  CHECK(target.flow->remote.toString() == "10.4.0.1:5061");
  CHECK(target.flow->shard == 1);
  CHECK(target.tls_name == "d.test");
  REQUIRE(target.alternates.size() == 1);
  CHECK(target.alternates[0].flow.protocol == transport::Protocol::Tcp);
  CHECK(target.restore_vias);
  REQUIRE(target.filter);
  sip::SipMessage copy = req.clone();
  std::string params = target.filter(copy);
  CHECK(params == loopViaParams(req));
  CHECK_FALSE(copy.has(sip::HeaderName::Via));  // hidden; ours goes on top when sent

  got.reset();
  edge.findHops("nowhere.test", [&](Result<std::vector<Hop>> hops) { got = std::move(hops); });
  REQUIRE(got);
  CHECK_FALSE(*got);
}

}  // namespace proxy::federation
