// SPDX-License-Identifier: Apache-2.0
// The stateless digest challenge on a real (never started) shard router: a
// REGISTER without credentials is answered 401 on arrival with no server
// transaction, a retransmission gets another 401, and the authenticated
// REGISTER then takes the full path (transaction, pipeline, registrar).
#include "core-server/registrar/stages/register_stage.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core-server/registrar/registrar_testing.h"
#include "proxy/base/counters.h"
#include "proxy/routing/shard_router.h"

namespace core::registrar {
namespace {

using namespace testing;
namespace routing = proxy::routing;
namespace transport = proxy::transport;

struct Fixture {
  Fixture()
      : shards(1),
        transports(shards, {}, {}),
        router((us.addDomain("example.test"), shards.shard(0)), transports, us, {}, peers) {
    peers.push_back(&router);
    router.pipeline().add(std::make_unique<RegisterStage>(h.registrar));
    router.setOutboundFilter(
        [this](const transport::Flow&, std::string& bytes) { sent.push_back(bytes); });
    router.setStatelessResponder([this](const sip::SipMessage& req, const transport::Flow& flow) {
      return answerStatelessChallenge(h.registrar, router, req, flow);
    });
  }

  // Feeds `text` to the router as if it arrived on `flow`.
  void receive(const std::string& text, const transport::Flow& flow = testFlow()) {
    transport::Inbound in;
    in.bytes = std::make_unique<char[]>(text.size());
    text.copy(in.bytes.get(), text.size());
    in.size = text.size();
    in.flow = flow;
    router.onInbound(std::move(in));
  }
  sip::SipMessage last() const {
    REQUIRE_FALSE(sent.empty());
    return parseOrDie(sent.back());
  }

  Harness h;
  proxy::uv::ShardSet shards;
  transport::Transports transports;
  routing::LocalAddresses us;
  std::vector<routing::ShardRouter*> peers;
  routing::ShardRouter router;
  std::vector<std::string> sent;
};

uint64_t counter(const char* name) { return proxy::counters::get(name).value(); }

Reg aliceReg() {
  Reg r;
  r.contacts = {"<sip:alice@192.0.2.10:5062>"};
  return r;
}

}  // namespace

TEST_CASE("a REGISTER without credentials is challenged statelessly, then registers") {
  Fixture f;
  const uint64_t stateless = counter("registrar.challenged_stateless");
  const uint64_t challenged = counter("registrar.challenged");
  const uint64_t created = counter("transaction.server_created");
  Reg reg = aliceReg();

  f.receive(reg.text());
  REQUIRE(f.sent.size() == 1);
  auto first = f.last();
  CHECK(first.statusCode() == 401);
  CHECK_FALSE(first.to()->tag().empty());
  auto challenges = first.headers(sip::HeaderName::WwwAuthenticate);
  REQUIRE(challenges.size() == 2);  // SHA-256 first, then MD5 (RFC 8760 §2.4)
  CHECK(parseChallenge(challenges[0]).algorithm == "SHA-256");
  CHECK(parseChallenge(challenges[1]).algorithm == "MD5");
  CHECK(challenges[0].find("qop=\"auth\"") != std::string_view::npos);
  CHECK(f.router.transactions().serverCount() == 0);
  CHECK(counter("transaction.server_created") == created);

  // A retransmission (same branch) gets another 401, still without state.
  f.receive(reg.text());
  REQUIRE(f.sent.size() == 2);
  CHECK(f.last().statusCode() == 401);
  CHECK(f.router.transactions().serverCount() == 0);
  CHECK(counter("registrar.challenged_stateless") == stateless + 2);
  CHECK(counter("registrar.challenged") == challenged + 2);

  // The answer to the challenge takes the full path and registers.
  ParsedChallenge c = parseChallenge(challenges[0]);
  reg.cseq += 1;
  reg.extra.push_back("Authorization: " + answer(c, "alice", "secret", "REGISTER", reg.ruri, 1));
  f.receive(reg.text());
  REQUIRE(f.sent.size() == 3);
  CHECK(f.last().statusCode() == 200);
  CHECK(f.router.transactions().serverCount() == 1);
  CHECK(f.h.location.size() == 1);
  CHECK(counter("registrar.challenged_stateless") == stateless + 2);

  // The same nonce count again is a replay: the full path answers stale=true.
  reg.cseq += 1;
  f.receive(reg.text());
  REQUIRE(f.sent.size() == 4);
  auto replay = f.last();
  CHECK(replay.statusCode() == 401);
  CHECK(replay.header(sip::HeaderName::WwwAuthenticate).find("stale=true") !=
        std::string_view::npos);
}

TEST_CASE("requests the full path must see are not challenged statelessly") {
  Fixture f;
  const uint64_t stateless = counter("registrar.challenged_stateless");
  Reg with_require = aliceReg();
  with_require.extra.push_back("Require: foo");
  f.receive(with_require.text());
  REQUIRE(f.sent.size() == 1);
  CHECK(f.last().statusCode() == 420);  // §10.3 step 2 before any challenge

  Reg foreign = aliceReg();
  foreign.ruri = "sip:elsewhere.test";
  foreign.call_id = "call-2";  // a new transaction, not a retransmission of the first
  f.receive(foreign.text());
  REQUIRE(f.sent.size() == 2);
  CHECK(f.last().statusCode() == 404);
  CHECK(counter("registrar.challenged_stateless") == stateless);
  CHECK(f.router.transactions().serverCount() == 2);
}

}  // namespace core::registrar
