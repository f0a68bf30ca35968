// SPDX-License-Identifier: Apache-2.0
// The two federation stages on a real (never started) shard router: what they
// answer, what they leave in the context, and what they hand to the next stage.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "proxy/federation/federation_counters.h"
#include "proxy/federation/federation_inbound_stage.h"
#include "proxy/federation/federation_route_stage.h"
#include "proxy/routing/shard_router.h"
#include "proxy/uv/timer.h"

namespace proxy::federation {
namespace {

config::Config load() {
  auto config = config::parseConfig(
      "domains: [a.test]\n"
      "listeners:\n"
      "  - { transport: tcp, address: 127.0.0.1, port: 5060 }\n"
      "federation:\n"
      "  blocked_domains: [evil.test]\n"
      "  peers:\n"
      "    - { domain: b.test, sources: [10.0.0.0/24], requests_per_second: 2 }\n"
      "    - { domain: d.test }\n"
      "    - { domain: gone.test }\n"
      "    - { domain: late.test }\n"
      "    - { domain: slow.test }\n",
      "test.yaml");
  REQUIRE(config);
  return std::move(*config);
}

// Answers d.test at once; late.test and slow.test when the test says so
// (late.test is then cached); anything else fails.
class Resolver final : public HopResolver {
 public:
  void locate(std::string_view domain, std::vector<transport::Protocol>,
              dns::LocateDone done) override {
    if (domain == "late.test" || domain == "slow.test") {
      waiting.emplace_back(std::string(domain), std::move(done));
    } else if (domain == "d.test") {
      done(std::vector<Hop>{Hop{transport::Protocol::Tls,
                                *transport::Address::fromIpPort("10.4.0.1", 5061), "d.test"},
                            Hop{transport::Protocol::Tcp,
                                *transport::Address::fromIpPort("10.4.0.2", 5060), "d.test"}});
    } else {
      done(makeError(503, "NXDOMAIN"));
    }
  }
  void resolveHost(std::string_view, uint16_t, transport::Protocol, std::string,
                   dns::LocateDone done) override {
    done(makeError(503, "unused"));
  }
  std::optional<std::vector<Hop>> cached(std::string_view domain) const override {
    if (domain == "late.test" && late_answered) {
      return lateHops();
    }
    return std::nullopt;
  }
  static std::vector<Hop> lateHops() {
    return {Hop{transport::Protocol::Tls, *transport::Address::fromIpPort("10.6.0.1", 5061),
                "late.test"}};
  }
  // Answers every waiting lookup of `domain`: late.test with its hop, others with a failure.
  void answer(const std::string& domain) {
    std::vector<std::pair<std::string, dns::LocateDone>> now;
    std::erase_if(waiting, [&](auto& w) {
      if (w.first != domain) {
        return false;
      }
      now.push_back(std::move(w));
      return true;
    });
    late_answered |= domain == "late.test";
    for (auto& [name, done] : now) {
      if (name == "late.test") {
        done(lateHops());
      } else {
        done(makeError(503, "SERVFAIL " + name));
      }
    }
  }

  std::vector<std::pair<std::string, dns::LocateDone>> waiting;
  bool late_answered = false;
};

// The stage after the one under test: keeps what reached it.
class Capture final : public routing::Stage {
 public:
  std::string_view name() const override { return "capture"; }
  routing::Verdict onRequest(routing::ContextPtr& ctx) override {
    reached = std::move(ctx);
    return routing::Verdict::Pause;
  }
  routing::ContextPtr reached;
};

struct Fixture {
  Fixture()
      : shards(1),
        transports(shards, {}, {}),
        config(load()),
        router((us.addDomain("a.test"), us.addListener(transport::Protocol::Tcp, "127.0.0.1", 5060),
                shards.shard(0)),
               transports, us, {}, peers),
        resolver(new Resolver),
        edge(config, us, std::unique_ptr<HopResolver>(resolver),
             EdgeOptions{"a.test", {}, [this] { return now_ms; }, {}}) {
    peers.push_back(&router);
    auto capture_stage = std::make_unique<Capture>();
    capture = capture_stage.get();
    router.pipeline().add(std::move(capture_stage));
  }

  routing::ContextPtr context(const std::string& ruri, const std::string& from, const char* ip,
                              const std::string& extra = "") {
    std::string text = "MESSAGE " + ruri +
                       " SIP/2.0\r\n"
                       "Via: SIP/2.0/TCP 10.1.0.5:5062;branch=z9hG4bK-1\r\n"
                       "From: <" +
                       from +
                       ">;tag=f1\r\n"
                       "To: <" +
                       ruri +
                       ">\r\n"
                       "Call-ID: c1\r\n"
                       "CSeq: 1 MESSAGE\r\n"
                       "Max-Forwards: 70\r\n" +
                       extra + "Content-Length: 0\r\n\r\n";
    auto parsed = sip::SipMessage::parse(text);
    REQUIRE(parsed);
    transport::Flow flow;
    flow.protocol = transport::Protocol::Tcp;
    flow.remote = *transport::Address::fromIpPort(ip, 40000);
    flow.connection_id = 3;
    return std::make_unique<routing::RequestContext>(std::move(*parsed), flow, router);
  }

  // The router asks the edge for hops of requests our services send, waiting for DNS.
  void waitForDns() {
    router.setDomainWaiter(
        [this](const sip::SipMessage& request, routing::ShardRouter::HopDone done) {
          edge.nextHopWhenKnown(request, router, std::move(done));
        });
  }
  // Runs the (never started) shard's loop on this thread until `done`, at most ~5 s.
  template <typename Done>
  void runLoopUntil(Done done) {
    uv::Timer guard(shards.shard(0).loop(), [] {});  // wakes the loop every 50 ms
    guard.start(50, 50);
    for (int i = 0; i < 100 && !done(); ++i) {
      uv_run(&shards.shard(0).loop(), UV_RUN_ONCE);
    }
  }

  uv::ShardSet shards;
  transport::Transports transports;
  config::Config config;
  routing::LocalAddresses us;
  std::vector<routing::ShardRouter*> peers;
  routing::ShardRouter router;
  int64_t now_ms = 1000;
  Resolver* resolver;  // owned by the edge
  FederationEdge edge;
  Capture* capture = nullptr;
};

// A NOTIFY as our presence service sends it (the transaction layer adds the Via).
sip::SipMessage originated(const std::string& ruri) {
  auto parsed = sip::SipMessage::parse("NOTIFY " + ruri +
                                       " SIP/2.0\r\n"
                                       "From: <sip:alice@a.test>;tag=n1\r\n"
                                       "To: <" +
                                       ruri +
                                       ">;tag=s1\r\n"
                                       "Call-ID: sub-1\r\n"
                                       "CSeq: 2 NOTIFY\r\n"
                                       "Max-Forwards: 70\r\n"
                                       "Event: presence\r\n"
                                       "Subscription-State: active;expires=600\r\n"
                                       "Contact: <sip:alice@127.0.0.1:5060>\r\n"
                                       "Content-Length: 0\r\n\r\n");
  REQUIRE(parsed);
  return std::move(*parsed);
}

}  // namespace

TEST_CASE("inbound stage: a verified peer's request goes on with its identity") {
  Fixture f;
  FederationInboundStage stage(f.edge);
  auto ctx = f.context("sip:alice@a.test", "sip:zoe@b.test", "10.0.0.9");
  const uint64_t accepted = FederationCounters::get().accepted.value();
  CHECK(stage.onRequest(ctx) == routing::Verdict::Continue);
  REQUIRE(ctx);
  CHECK(ctx->federated_peer == "b.test");
  CHECK(ctx->authenticated_aor == "zoe@b.test");
  CHECK(static_cast<bool>(ctx->upstream_filter));
  CHECK(FederationCounters::get().accepted.value() == accepted + 1);
}

TEST_CASE("inbound stage: spoofing and floods end the request") {
  Fixture f;
  FederationInboundStage stage(f.edge);
  const auto& c = FederationCounters::get();
  const uint64_t spoofed = c.spoofed.value();
  auto spoof = f.context("sip:alice@a.test", "sip:ceo@a.test", "10.0.0.9");
  CHECK(stage.onRequest(spoof) == routing::Verdict::Done);
  CHECK(c.spoofed.value() == spoofed + 1);
  CHECK(spoof->federated_peer.empty());

  const uint64_t flood = c.flood.value();
  for (int i = 0; i < 2; ++i) {
    auto ok = f.context("sip:alice@a.test", "sip:zoe@b.test", "10.0.0.9");
    CHECK(stage.onRequest(ok) == routing::Verdict::Continue);
  }
  auto third = f.context("sip:alice@a.test", "sip:zoe@b.test", "10.0.0.9");
  CHECK(stage.onRequest(third) == routing::Verdict::Done);
  CHECK(c.flood.value() == flood + 1);
  f.now_ms += 1000;  // a second later the bucket is full again
  auto later = f.context("sip:alice@a.test", "sip:zoe@b.test", "10.0.0.9");
  CHECK(stage.onRequest(later) == routing::Verdict::Continue);
}

TEST_CASE("inbound stage: a Request-URI made from an encoded Contact is decoded") {
  Fixture f;
  FederationInboundStage stage(f.edge);
  auto encoded =
      encodeContact("<sip:alice@10.1.0.9:5099;transport=tcp>", f.us, transport::Protocol::Tcp);
  REQUIRE(encoded);
  auto uri = sip::NameAddr::parse(*encoded);
  REQUIRE(uri);
  std::string ruri(uri->uriText());
  auto ctx = f.context(ruri, "sip:zoe@b.test", "10.0.0.9");
  ctx->targets.emplace_back(ruri, std::nullopt);
  // Out of dialog towards a local client's address: decoded, then refused as a relay.
  CHECK(stage.onRequest(ctx) == routing::Verdict::Done);
  CHECK(ctx->request.requestUri() == "sip:alice@10.1.0.9:5099;transport=tcp");
  CHECK(ctx->targets[0].uri == "sip:alice@10.1.0.9:5099;transport=tcp");
}

TEST_CASE("route stage: our users reach peers through discovered hops") {
  Fixture f;
  FederationRouteStage stage(f.edge);
  auto ctx = f.context("sip:dave@d.test", "sip:alice@a.test", "127.0.0.1");
  ctx->authenticated_aor = "alice@a.test";
  ctx->next_stage = 0;  // the capture stage comes next
  const uint64_t routed = FederationCounters::get().routed.value();
  CHECK(stage.onRequest(ctx) == routing::Verdict::Pause);
  CHECK_FALSE(ctx);  // handed on (the fake resolver answers at once)
  REQUIRE(f.capture->reached);
  const auto& targets = f.capture->reached->targets;
  REQUIRE(targets.size() == 1);
  CHECK(targets[0].uri == "sip:dave@d.test");
  CHECK(targets[0].flow->remote.toString() == "10.4.0.1:5061");
  CHECK(targets[0].tls_name == "d.test");
  CHECK(targets[0].alternates.size() == 1);
  CHECK(FederationCounters::get().routed.value() == routed + 1);
}

TEST_CASE("route stage: no relay for peers, policy, unresolvable domains") {
  Fixture f;
  FederationRouteStage stage(f.edge);
  const auto& c = FederationCounters::get();
  const uint64_t relay = c.relay.value();
  auto from_peer = f.context("sip:dave@d.test", "sip:zoe@b.test", "10.0.0.9");
  from_peer->federated_peer = "b.test";
  CHECK(stage.onRequest(from_peer) == routing::Verdict::Done);
  CHECK(c.relay.value() == relay + 1);

  const uint64_t not_federated = c.not_federated.value();
  auto unlisted = f.context("sip:x@x.test", "sip:alice@a.test", "127.0.0.1");
  CHECK(stage.onRequest(unlisted) == routing::Verdict::Done);
  CHECK(c.not_federated.value() == not_federated + 1);

  const uint64_t blocked = c.blocked.value();
  auto evil = f.context("sip:eve@evil.test", "sip:alice@a.test", "127.0.0.1");
  CHECK(stage.onRequest(evil) == routing::Verdict::Done);
  CHECK(c.blocked.value() == blocked + 1);

  const uint64_t unresolved = c.unresolved.value();
  auto gone = f.context("sip:g@gone.test", "sip:alice@a.test", "127.0.0.1");
  CHECK(stage.onRequest(gone) == routing::Verdict::Pause);  // answered 480 by the callback
  CHECK(c.unresolved.value() == unresolved + 1);
  CHECK_FALSE(f.capture->reached);

  // Local targets are not the edge's business.
  auto local = f.context("sip:bob@a.test", "sip:alice@a.test", "127.0.0.1");
  CHECK(stage.onRequest(local) == routing::Verdict::Continue);
}

TEST_CASE("service requests: the first one to a peer not in the DNS cache waits, then goes") {
  Fixture f;
  f.waitForDns();
  std::vector<std::pair<transport::Flow, std::string>> sent;
  f.router.setOutboundFilter(
      [&sent](const transport::Flow& flow, std::string& bytes) { sent.emplace_back(flow, bytes); });
  const auto& c = FederationCounters::get();
  const uint64_t resolved = c.wait_resolved.value();
  int finals = 0;
  auto count = [&finals](sip::SipMessage&&, bool final) { finals += final ? 1 : 0; };
  f.router.sendOriginated(originated("sip:bob@late.test"), std::nullopt, count);
  CHECK(sent.empty());  // waiting for DNS, not failed
  CHECK(f.edge.waiting() == 1);
  REQUIRE(f.resolver->waiting.size() == 1);

  f.resolver->answer("late.test");
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].first.protocol == transport::Protocol::Tls);
  CHECK(sent[0].first.remote.toString() == "10.6.0.1:5061");
  CHECK(sent[0].second.starts_with("NOTIFY sip:bob@late.test SIP/2.0\r\nVia: SIP/2.0/TLS "));
  const std::string* tls_name = f.router.tlsNameFor(sent[0].first.remote);
  REQUIRE(tls_name != nullptr);
  CHECK(*tls_name == "late.test");  // the connection must prove the peer's domain
  CHECK(f.edge.waiting() == 0);
  CHECK(c.wait_resolved.value() == resolved + 1);
  CHECK(finals == 0);

  // Cached now: the next one goes at once, without a lookup.
  f.router.sendOriginated(originated("sip:carol@late.test"), std::nullopt, count);
  CHECK(sent.size() == 2);
  CHECK(f.resolver->waiting.empty());
  // A request with a flow (a registered client's) never asks.
  transport::Flow flow;
  flow.protocol = transport::Protocol::Tcp;
  flow.remote = *transport::Address::fromIpPort("10.7.0.1", 5060);
  f.router.sendOriginated(originated("sip:dan@slow.test"), flow, count);
  REQUIRE(sent.size() == 3);
  CHECK(sent[2].first.remote.toString() == "10.7.0.1:5060");
  CHECK(f.resolver->waiting.empty());
}

TEST_CASE("service requests: a failed lookup gets the sender a 480, later, counted") {
  Fixture f;
  f.waitForDns();
  const uint64_t unresolved = FederationCounters::get().unresolved.value();
  std::vector<int> finals;
  f.router.sendOriginated(originated("sip:x@slow.test"), std::nullopt,
                          [&finals](sip::SipMessage&& response, bool final) {
                            if (final) {
                              finals.push_back(response.statusCode());
                            }
                          });
  f.resolver->answer("slow.test");
  CHECK(finals.empty());  // from a later loop turn, as the transaction layer's own
  f.runLoopUntil([&finals] { return !finals.empty(); });
  CHECK(finals == std::vector<int>{480});
  CHECK(FederationCounters::get().unresolved.value() == unresolved + 1);
  CHECK(f.edge.waiting() == 0);
}

TEST_CASE("service requests: waits are bounded in time and in number") {
  Fixture f;
  EdgeOptions options;
  options.hop_wait_ms = 20;
  auto* resolver = new Resolver;
  FederationEdge edge(f.config, f.us, std::unique_ptr<HopResolver>(resolver), options);
  const auto& c = FederationCounters::get();
  const uint64_t timed_out = c.wait_timed_out.value();
  int answered = 0;
  int with_hop = 0;
  auto done = [&](std::optional<transport::Flow> flow) {
    ++answered;
    with_hop += flow ? 1 : 0;
  };
  edge.nextHopWhenKnown(originated("sip:x@slow.test"), f.router, done);
  CHECK(answered == 0);
  f.runLoopUntil([&answered] { return answered > 0; });
  CHECK(answered == 1);
  CHECK(with_hop == 0);
  CHECK(c.wait_timed_out.value() == timed_out + 1);
  CHECK(edge.waiting() == 0);
  resolver->answer("slow.test");  // too late: nothing more
  CHECK(answered == 1);

  const uint64_t refused = c.wait_refused.value();
  for (size_t i = 0; i < FederationEdge::kMaxWaiting; ++i) {
    edge.nextHopWhenKnown(originated("sip:x@slow.test"), f.router, done);
  }
  CHECK(edge.waiting() == FederationEdge::kMaxWaiting);
  CHECK(answered == 1);
  edge.nextHopWhenKnown(originated("sip:y@slow.test"), f.router, done);
  CHECK(answered == 2);  // at once
  CHECK(c.wait_refused.value() == refused + 1);
  // Not federated: at once, nothing to wait for.
  edge.nextHopWhenKnown(originated("sip:x@x.test"), f.router, done);
  CHECK(answered == 3);
  CHECK(with_hop == 0);
  resolver->answer("slow.test");  // every waiting one gets its answer
  CHECK(answered == 3 + static_cast<int>(FederationEdge::kMaxWaiting));
  CHECK(edge.waiting() == 0);
}

}  // namespace proxy::federation
