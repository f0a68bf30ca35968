// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/authenticator.h"

#include <doctest/doctest.h>

#include "core-server/registrar/registrar_testing.h"
#include "proxy/base/counters.h"

namespace core::registrar {
namespace {

using namespace testing;

struct AuthFixture {
  AuthFixture(AuthOptions options = Harness::defaultAuth())
      : users(UserTable::build({},
                               {makeUser("alice", "secret"), makeUser("bob", "hunter2"), carol()})),
        auth(std::move(options), key, users, clock) {}

  // A user whose HA1s were computed over the full AOR, for clients that send it.
  static storage::UserRecord carol() {
    storage::UserRecord u = makeUser("carol", "pw");
    u.ha1_md5 = sip::computeHa1(sip::DigestAlgorithm::Md5, u.aor, kRealm, "pw");
    u.ha1_sha256 = sip::computeHa1(sip::DigestAlgorithm::Sha256, u.aor, kRealm, "pw");
    return u;
  }

  // The challenge for `algorithm` from a fresh set of challenge headers.
  ParsedChallenge challenge(std::string_view algorithm = "SHA-256", bool stale = false) {
    for (const auto& h : auth.challengeHeaders(stale)) {
      ParsedChallenge c = parseChallenge(h);
      if (c.algorithm == algorithm) {
        return c;
      }
    }
    FAIL("no challenge for the algorithm");
    return {};
  }

  // Puts `authorization` in Proxy-Authorization when `in_proxy_header`, else in
  // Authorization, and checks with `proxy`.
  AuthOutcome checkWith(const std::vector<std::string>& authorization, std::string_view aor,
                        bool proxy = false, std::string_view method = "REGISTER",
                        std::optional<bool> in_proxy_header = std::nullopt) {
    Reg reg;
    for (const auto& a : authorization) {
      const bool proxy_header = in_proxy_header.value_or(proxy);
      reg.extra.push_back(std::string(proxy_header ? "Proxy-Authorization: " : "Authorization: ") +
                          a);
    }
    std::string text = reg.text();
    if (method != "REGISTER") {
      text.replace(0, 8, std::string(method));
      const size_t cseq = text.find(" REGISTER\r\n");
      text.replace(cseq + 1, 8, std::string(method));
    }
    return auth.check(parseOrDie(text), proxy, aor);
  }

  proxy::ManualClock clock;
  NonceKey key = NonceKey::generate();
  UserDirectory users;
  Authenticator auth;
};

bool isChallenge(const AuthOutcome& o, bool stale) {
  const auto* c = std::get_if<Challenge>(&o);
  return c != nullptr && c->stale == stale;
}

std::string authenticatedAor(const AuthOutcome& o) {
  const auto* a = std::get_if<Authenticated>(&o);
  return a != nullptr ? a->aor : "";
}

TEST_CASE("challenges: one per algorithm, SHA-256 first, one shared nonce, qop=auth") {
  AuthFixture f;
  const auto headers = f.auth.challengeHeaders(false);
  REQUIRE(headers.size() == 2);
  CHECK(headers[0].rfind("Digest realm=\"example.test\", nonce=\"", 0) == 0);
  CHECK(headers[0].find("algorithm=SHA-256") != std::string::npos);
  CHECK(headers[1].find("algorithm=MD5") != std::string::npos);
  for (const auto& h : headers) {
    CHECK(h.find("qop=\"auth\"") != std::string::npos);
    CHECK(h.find("opaque=\"") != std::string::npos);
    CHECK(h.find("stale") == std::string::npos);
  }
  CHECK(parseChallenge(headers[0]).nonce == parseChallenge(headers[1]).nonce);
  CHECK(f.auth.challengeHeaders(true)[0].find(", stale=true") != std::string::npos);
}

TEST_CASE("clients listed as MD5-only get the MD5 challenge alone, others get all") {
  AuthOptions options = Harness::defaultAuth();
  options.md5_only_user_agents = {"baresip"};
  AuthFixture f(options);
  Reg reg;
  reg.extra.push_back("User-Agent: BareSIP v1.0.0 (x86_64/linux)");
  const auto legacy = f.auth.challengeHeaders(false, parseOrDie(reg.text()));
  REQUIRE(legacy.size() == 1);
  CHECK(legacy[0].find("algorithm=MD5") != std::string::npos);
  Reg modern;
  modern.extra.push_back("User-Agent: Linphone/5.2");
  CHECK(f.auth.challengeHeaders(false, parseOrDie(modern.text())).size() == 2);
  CHECK(f.auth.challengeHeaders(false, parseOrDie(Reg{}.text())).size() == 2);
}

TEST_CASE("a correct SHA-256 or MD5 response authenticates, user part or full AOR") {
  AuthFixture f;
  for (const char* alg : {"SHA-256", "MD5"}) {
    CAPTURE(alg);
    auto c = f.challenge(alg);
    CHECK(authenticatedAor(
              f.checkWith({answer(c, "alice", "secret", "REGISTER", "sip:example.test", 1)},
                          "alice@example.test")) == "alice@example.test");
  }
}

TEST_CASE("the response covers the method") {
  AuthFixture f;
  auto c = f.challenge();
  // Computed for REGISTER but sent on an INVITE.
  CHECK(isChallenge(f.checkWith({answer(c, "alice", "secret", "REGISTER", "sip:example.test", 1)},
                                "alice@example.test", true, "INVITE"),
                    false));
  auto c2 = f.challenge();
  CHECK(
      authenticatedAor(f.checkWith({answer(c2, "alice", "secret", "INVITE", "sip:example.test", 1)},
                                   "alice@example.test", true, "INVITE")) == "alice@example.test");
}

TEST_CASE("a wrong password or an unknown user is challenged again and counted") {
  AuthFixture f;
  const uint64_t failed_before = proxy::counters::get("auth.failed").value();
  auto c = f.challenge();
  CHECK(isChallenge(f.checkWith({answer(c, "alice", "wrong", "REGISTER", "sip:example.test", 1)},
                                "alice@example.test"),
                    false));
  CHECK(isChallenge(f.checkWith({answer(c, "mallory", "x", "REGISTER", "sip:example.test", 1)},
                                "mallory@example.test"),
                    false));
  CHECK(proxy::counters::get("auth.failed").value() == failed_before + 2);
}

TEST_CASE("a user registering someone else's AOR is forbidden") {
  AuthFixture f;
  auto c = f.challenge();
  auto outcome = f.checkWith({answer(c, "bob", "hunter2", "REGISTER", "sip:example.test", 1)},
                             "alice@example.test");
  REQUIRE(std::holds_alternative<Forbidden>(outcome));
  CHECK_FALSE(std::get<Forbidden>(outcome).reason.empty());
  // A full-AOR username naming another user: the same.
  auto c2 = f.challenge();
  CHECK(std::holds_alternative<Forbidden>(
      f.checkWith({answer(c2, "carol@example.test", "pw", "REGISTER", "sip:example.test", 1)},
                  "alice@example.test")));
}

TEST_CASE("the claimed AOR matches the user's in any case") {
  AuthFixture f;
  auto c = f.challenge("MD5");
  CHECK(authenticatedAor(
            f.checkWith({answer(c, "alice", "secret", "REGISTER", "sip:example.test", 1)},
                        "Alice@Example.TEST")) == "alice@example.test");
  auto c2 = f.challenge("MD5");
  CHECK(std::holds_alternative<Forbidden>(f.checkWith(
      {answer(c2, "alice", "secret", "REGISTER", "sip:example.test", 1)}, "alicex@example.test")));
}

TEST_CASE("a full-AOR username authenticates when the HA1 was made over it") {
  AuthFixture f;
  auto c = f.challenge();
  CHECK(authenticatedAor(
            f.checkWith({answer(c, "carol@example.test", "pw", "REGISTER", "sip:example.test", 1)},
                        "carol@example.test")) == "carol@example.test");
}

TEST_CASE("an expired nonce with a correct response is stale; with a wrong one it is not") {
  AuthFixture f;
  auto c = f.challenge();
  f.clock.advanceMs(300'000);
  CHECK(authenticatedAor(
            f.checkWith({answer(c, "alice", "secret", "REGISTER", "sip:example.test", 1)},
                        "alice@example.test")) == "alice@example.test");  // exactly at the lifetime
  f.clock.advanceMs(1'000);
  CHECK(isChallenge(f.checkWith({answer(c, "alice", "secret", "REGISTER", "sip:example.test", 2)},
                                "alice@example.test"),
                    true));
  CHECK(isChallenge(f.checkWith({answer(c, "alice", "wrong", "REGISTER", "sip:example.test", 3)},
                                "alice@example.test"),
                    false));
}

TEST_CASE("a forged nonce is challenged afresh, not as stale") {
  AuthFixture f;
  // A changed MAC, issue time or random part of a nonce we issued just now.
  for (size_t at : {40, 3, 20}) {
    CAPTURE(at);
    ParsedChallenge forged = f.challenge();
    forged.nonce[at] = forged.nonce[at] == 'a' ? 'b' : 'a';
    CHECK(isChallenge(
        f.checkWith({answer(forged, "alice", "secret", "REGISTER", "sip:example.test", 1)},
                    "alice@example.test"),
        false));
  }
  // A nonce from another server instance (another key), e.g. before a restart.
  AuthFixture other;
  ParsedChallenge foreign = other.challenge();
  CHECK(isChallenge(
      f.checkWith({answer(foreign, "alice", "secret", "REGISTER", "sip:example.test", 1)},
                  "alice@example.test"),
      false));
}

TEST_CASE("nonces of another shard, or long pushed out of the recent ones, are checked by MAC") {
  AuthFixture f;
  auto sha256Challenge = [](Authenticator& auth) {
    for (const auto& h : auth.challengeHeaders(false)) {
      ParsedChallenge c = parseChallenge(h);
      if (c.algorithm == "SHA-256") {
        return c;
      }
    }
    FAIL("no SHA-256 challenge");
    return ParsedChallenge{};
  };
  // Another shard: its own Authenticator with a copy of the same key.
  Authenticator other(Harness::defaultAuth(), f.key, f.users, f.clock);
  const ParsedChallenge from_other = sha256Challenge(other);
  CHECK(authenticatedAor(
            f.checkWith({answer(from_other, "alice", "secret", "REGISTER", "sip:example.test", 1)},
                        "alice@example.test")) == "alice@example.test");
  // Ours, but thousands of challenges ago.
  const ParsedChallenge old = f.challenge();
  for (int i = 0; i < 5000; ++i) {
    (void)f.auth.challengeHeaders(false);
  }
  CHECK(authenticatedAor(
            f.checkWith({answer(old, "alice", "secret", "REGISTER", "sip:example.test", 1)},
                        "alice@example.test")) == "alice@example.test");
  // Replay, expiry and forgery rules are the same on that path.
  CHECK(isChallenge(
      f.checkWith({answer(from_other, "alice", "secret", "REGISTER", "sip:example.test", 1)},
                  "alice@example.test"),
      true));
  ParsedChallenge forged = sha256Challenge(other);
  forged.nonce[5] = forged.nonce[5] == 'a' ? 'b' : 'a';  // another issue time
  CHECK(isChallenge(
      f.checkWith({answer(forged, "alice", "secret", "REGISTER", "sip:example.test", 1)},
                  "alice@example.test"),
      false));
  f.clock.advanceMs(301'000);
  CHECK(isChallenge(f.checkWith({answer(old, "alice", "secret", "REGISTER", "sip:example.test", 2)},
                                "alice@example.test"),
                    true));
}

TEST_CASE("a replayed nonce count is refused") {
  AuthFixture f;
  auto c = f.challenge();
  const std::string first = answer(c, "alice", "secret", "REGISTER", "sip:example.test", 1);
  CHECK(authenticatedAor(f.checkWith({first}, "alice@example.test")) == "alice@example.test");
  CHECK(isChallenge(f.checkWith({first}, "alice@example.test"), true));  // exact replay
  CHECK(authenticatedAor(
            f.checkWith({answer(c, "alice", "secret", "REGISTER", "sip:example.test", 2)},
                        "alice@example.test")) == "alice@example.test");
  CHECK(f.auth.trackedNonces() == 1);
  f.clock.advanceMs(301'000);
  f.auth.sweep();
  CHECK(f.auth.trackedNonces() == 0);
}

TEST_CASE("credentials without qop=auth, cnonce or nc are refused") {
  AuthFixture f;
  auto c = f.challenge("MD5");
  const std::string good = answer(c, "alice", "secret", "REGISTER", "sip:example.test", 1);
  auto without = [&](std::string_view param) {
    std::string a = good;
    const size_t at = a.find(param);
    const size_t end = a.find(", ", at);
    a.erase(at - 2, end == std::string::npos ? std::string::npos : end - at + 2);
    return a;
  };
  CHECK(isChallenge(f.checkWith({without("qop=")}, "alice@example.test"), false));
  CHECK(isChallenge(f.checkWith({without("cnonce=")}, "alice@example.test"), false));
  CHECK(isChallenge(f.checkWith({without("nc=")}, "alice@example.test"), false));
}

TEST_CASE("unknown schemes, foreign realms and unoffered algorithms are ignored") {
  AuthFixture f;
  CHECK(isChallenge(f.checkWith({"NoOneKnowsThisScheme opaque-data=here"}, "alice@example.test"),
                    false));  // RFC 4475 regaut01
  CHECK(isChallenge(f.checkWith({}, "alice@example.test"), false));
  auto c = f.challenge();
  CHECK(isChallenge(
      f.checkWith({answer(c, "alice", "secret", "REGISTER", "sip:example.test", 1, "other.realm")},
                  "alice@example.test"),
      false));

  AuthOptions sha_only = Harness::defaultAuth();
  sha_only.algorithms = {sip::DigestAlgorithm::Sha256};
  AuthFixture g(sha_only);
  CHECK(g.auth.challengeHeaders(false).size() == 1);
  ParsedChallenge md5 = g.challenge("SHA-256");
  md5.algorithm = "MD5";
  CHECK(isChallenge(g.checkWith({answer(md5, "alice", "secret", "REGISTER", "sip:example.test", 1)},
                                "alice@example.test"),
                    false));
}

TEST_CASE("of several Authorization headers the one for our realm and algorithm is used") {
  AuthFixture f;
  auto sha = f.challenge("SHA-256");
  auto md5 = f.challenge("MD5");
  const std::string foreign =
      answer(sha, "alice", "secret", "REGISTER", "sip:example.test", 1, "other.realm");
  const std::string good = answer(md5, "alice", "secret", "REGISTER", "sip:example.test", 1);
  CHECK(authenticatedAor(f.checkWith({"NoOneKnowsThisScheme x=y", foreign, good},
                                     "alice@example.test")) == "alice@example.test");
  // Both algorithms answered: SHA-256 (preferred) is the one checked.
  auto sha2 = f.challenge("SHA-256");
  auto md52 = f.challenge("MD5");
  CHECK(isChallenge(f.checkWith({answer(md52, "alice", "secret", "REGISTER", "sip:example.test", 1),
                                 answer(sha2, "alice", "wrong", "REGISTER", "sip:example.test", 1)},
                                "alice@example.test"),
                    false));
}

TEST_CASE("Proxy-Authorization is read only when asked for") {
  AuthFixture f;
  auto c = f.challenge();
  const std::string a = answer(c, "alice", "secret", "INVITE", "sip:bob@example.test", 1);
  CHECK(
      isChallenge(f.checkWith({a}, "alice@example.test", /*proxy=*/false, "INVITE", true), false));
  CHECK(
      isChallenge(f.checkWith({a}, "alice@example.test", /*proxy=*/true, "INVITE", false), false));
  CHECK(authenticatedAor(f.checkWith({a}, "alice@example.test", /*proxy=*/true, "INVITE", true)) ==
        "alice@example.test");
}

TEST_CASE("trusted sources come from the options callback") {
  AuthOptions options = Harness::defaultAuth();
  AuthFixture none(options);
  CHECK_FALSE(none.auth.trusted(testFlow().remote));
  options.is_trusted = [](const proxy::transport::Address& a) { return a.ip() == "10.0.0.5"; };
  AuthFixture some(options);
  CHECK(some.auth.trusted(testFlow("10.0.0.5").remote));
  CHECK_FALSE(some.auth.trusted(testFlow("10.0.0.6").remote));
}

}  // namespace
}  // namespace core::registrar
