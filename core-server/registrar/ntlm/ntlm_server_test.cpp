// SPDX-License-Identifier: Apache-2.0
// NtlmServer end to end with the test client: logon, signing in both
// directions, replay, expiry, bounds and hostile input.
#include <doctest/doctest.h>

#include <openssl/rand.h>

#include <memory>

#include "core-server/registrar/ntlm/ntlm_server.h"
#include "core-server/registrar/ntlm/ntlm_test_client.h"
#include "proxy/base/clock.h"

namespace core::registrar::ntlm {
namespace {

constexpr std::string_view kRealm = "SIP Communications Service";
constexpr std::string_view kTarget = "sip.example.com";

struct Fixture {
  proxy::ManualClock clock;
  NtlmServerConfig config;
  std::unique_ptr<NtlmServer> server;

  explicit Fixture(NtlmServerConfig c = {}) : config(std::move(c)) {
    server = std::make_unique<NtlmServer>(
        clock,
        [](std::string_view user, std::string_view domain) -> std::optional<NtHash> {
          if (user == "alice" && (domain.empty() || domain == "EXAMPLE")) {
            return ntHash("correct horse");
          }
          if (user == "bob@example.com" && domain.empty()) {
            return ntHash(
                "b\xC3\xB6"
                "b");  // non-ASCII password
          }
          return std::nullopt;
        },
        config);
  }
};

testing::ClientInputs alice(std::string_view password = "correct horse") {
  testing::ClientInputs in;
  in.user = "alice";
  in.domain = "EXAMPLE";
  in.workstation = "LAPTOP";
  in.nt_hash = ntHash(password).value();
  RAND_bytes(in.client_challenge.data(), 8);
  RAND_bytes(in.random_session_key.data(), 16);
  in.timestamp = {0x00, 0x80, 0x3e, 0xd5, 0xde, 0xb1, 0x9d, 0x01};
  return in;
}

// Runs the whole logon; returns the opaque and the client's keys.
struct Session {
  std::string opaque;
  SessionKeys client_keys;
};
std::optional<Session> logOn(NtlmServer& server, const testing::ClientInputs& in) {
  auto challenge = server.challenge(kRealm, kTarget);
  REQUIRE(challenge);
  auto answer = testing::answerChallenge(fromBase64(challenge->gssapi_data).value(), in);
  REQUIRE(answer);
  auto logon = server.authenticate(challenge->opaque, toBase64(answer->authenticate));
  if (!logon) {
    return std::nullopt;
  }
  return Session{logon->opaque, answer->keys};
}

SignedFields registerFields() {
  SignedFields f;
  f.call_id = "a84b4c76e66710";
  f.cseq_number = "2";
  f.cseq_method = "REGISTER";
  f.from_uri = "sip:alice@example.com";
  f.from_tag = "1928301774";
  f.to_uri = "sip:alice@example.com";
  return f;
}

// What a client attaches to a request: crand, cnum, response.
struct ClientSignature {
  std::string crand;
  std::string cnum;
  std::string response;
};
ClientSignature clientSign(const SessionKeys& keys, uint64_t cnum, const SignedFields& f,
                           int version = 4) {
  ClientSignature s{"3e49177a", std::to_string(cnum), {}};
  SignatureContext context{"NTLM", s.crand, s.cnum, kRealm, kTarget, version};
  s.response = toHex(computeMac(keys.flags, keys.client_signing_key, keys.client_sealing_key,
                                kSipaeSeqNum, bytesOf(signatureBuffer(context, f)))
                         .value());
  return s;
}

TEST_CASE("a challenge announces what connectionless SIP clients need") {
  Fixture fx;
  CHECK(fx.server->challengeOffer(kRealm, kTarget) ==
        "NTLM realm=\"SIP Communications Service\", targetname=\"sip.example.com\", version=4");
  auto challenge = fx.server->challenge(kRealm, kTarget);
  REQUIRE(challenge);
  CHECK(challenge->opaque.size() == 16);
  auto message = decodeChallenge(fromBase64(challenge->gssapi_data).value());
  REQUIRE(message);
  CHECK(message->flags == kChallengeFlags);
  CHECK(message->flags == 0xe29a8275);  // no LM_KEY, no OEM
  // Everything pidgin-sipe insists on in connectionless mode.
  CHECK((message->flags & testing::kSipeConnectionlessFlags) == testing::kSipeConnectionlessFlags);
  CHECK(message->target_name == "SIP");
  auto pairs = decodeAvPairs(message->target_info);
  REQUIRE(pairs);
  CHECK(pairs->size() == 4);
  CHECK(NtlmServer::challengeHeader(*challenge) ==
        "NTLM opaque=\"" + challenge->opaque + "\", gssapi-data=\"" + challenge->gssapi_data +
            "\", targetname=\"sip.example.com\", realm=\"SIP Communications Service\", version=4");
  // Two challenges never share an opaque or a server challenge.
  auto other = fx.server->challenge(kRealm, kTarget);
  CHECK(other->opaque != challenge->opaque);
  CHECK(other->gssapi_data != challenge->gssapi_data);
  CHECK(fx.server->pendingCount() == 2);
}

TEST_CASE("a client NEGOTIATE is accepted; garbage gssapi-data is not") {
  Fixture fx;
  const Bytes negotiate = {'N', 'T', 'L', 'M', 'S',  'S',  'P',  0,
                           1,   0,   0,   0,   0x07, 0x82, 0x08, 0xa2};
  CHECK(fx.server->challenge(kRealm, kTarget, toBase64(negotiate)));
  CHECK(fx.server->challenge(kRealm, kTarget, "!!!!").error().status == 400);
  CHECK(fx.server->challenge(kRealm, kTarget, toBase64(Bytes(40, 0))).error().status == 400);
}

TEST_CASE("round trip: logon, then signatures both ways") {
  Fixture fx;
  auto session = logOn(*fx.server, alice());
  REQUIRE(session);
  CHECK(fx.server->pendingCount() == 0);
  CHECK(fx.server->associationCount() == 1);
  const SecurityAssociation* sa = fx.server->find(session->opaque);
  REQUIRE(sa);
  CHECK(sa->user == "alice");
  CHECK(sa->domain == "EXAMPLE");
  CHECK(sa->keys.exported_session_key == session->client_keys.exported_session_key);

  // Client -> server, cnum 1, 2, 3 ...
  for (uint64_t cnum = 1; cnum <= 3; ++cnum) {
    const ClientSignature s = clientSign(session->client_keys, cnum, registerFields());
    CHECK(fx.server->verifyRequest(session->opaque, registerFields(), s.crand, s.cnum, s.response));
  }
  // Server -> client: the client verifies with the server-to-client keys.
  SignedFields response = registerFields();
  response.to_tag = "a6c85cf";
  response.expires = "3600";
  response.response_code = 200;
  auto signed_message = fx.server->sign(session->opaque, response);
  REQUIRE(signed_message);
  SignatureContext context{"NTLM", signed_message->srand, signed_message->snum, kRealm, kTarget, 4};
  const auto& keys = session->client_keys;
  CHECK(toHex(computeMac(keys.flags, keys.server_signing_key, keys.server_sealing_key, kSipaeSeqNum,
                         bytesOf(signatureBuffer(context, response)))
                  .value()) == signed_message->rspauth);
  // ... and a signature made with the wrong direction's keys is not accepted.
  const ClientSignature wrong_direction{
      "01020304", "9",
      toHex(computeMac(keys.flags, keys.server_signing_key, keys.server_sealing_key, kSipaeSeqNum,
                       bytesOf("x"))
                .value())};
  CHECK_FALSE(fx.server->verifyRequest(session->opaque, registerFields(), wrong_direction.crand,
                                       wrong_direction.cnum, wrong_direction.response));
}

TEST_CASE("an enterprise user name with a non-ASCII password logs on") {
  Fixture fx;
  testing::ClientInputs in = alice();
  in.user = "bob@example.com";
  in.domain = "";
  in.nt_hash = ntHash(
                   "b\xC3\xB6"
                   "b")
                   .value();
  auto session = logOn(*fx.server, in);
  REQUIRE(session);
  CHECK(fx.server->find(session->opaque)->user == "bob@example.com");
}

TEST_CASE("a MIC, when announced, is checked") {
  Fixture fx;
  testing::ClientInputs in = alice();
  in.with_mic = true;
  CHECK(logOn(*fx.server, in));

  auto challenge = fx.server->challenge(kRealm, kTarget);
  auto answer = testing::answerChallenge(fromBase64(challenge->gssapi_data).value(), in);
  REQUIRE(answer);
  answer->authenticate[72] ^= 1;  // first MIC byte
  auto tampered = fx.server->authenticate(challenge->opaque, toBase64(answer->authenticate));
  REQUIRE_FALSE(tampered);
  CHECK(tampered.error().status == 403);
}

TEST_CASE("wrong credentials, unknown users, LM-only and anonymous are refused") {
  Fixture fx;
  SUBCASE("wrong password") {
    auto challenge = fx.server->challenge(kRealm, kTarget);
    auto answer =
        testing::answerChallenge(fromBase64(challenge->gssapi_data).value(), alice("wrong horse"));
    auto r = fx.server->authenticate(challenge->opaque, toBase64(answer->authenticate));
    REQUIRE_FALSE(r);
    CHECK(r.error().status == 403);
    CHECK(fx.server->associationCount() == 0);
    // The challenge is used up: retrying the right answer needs a new one.
    auto again = fx.server->authenticate(challenge->opaque, toBase64(answer->authenticate));
    CHECK(again.error().status == 401);
  }
  SUBCASE("unknown user") {
    testing::ClientInputs in = alice();
    in.user = "mallory";
    CHECK_FALSE(logOn(*fx.server, in));
  }
  SUBCASE("LM-only and anonymous") {
    auto challenge = fx.server->challenge(kRealm, kTarget);
    AuthenticateMessage lm_only;
    lm_only.flags = kNegotiateUnicode | kNegotiateExtendedSessionSecurity | kNegotiateSign;
    lm_only.user = "alice";
    lm_only.domain = "EXAMPLE";
    lm_only.lm_response = Bytes(24, 7);
    auto r = fx.server->authenticate(challenge->opaque, toBase64(encodeAuthenticate(lm_only)));
    REQUIRE_FALSE(r);
    CHECK(r.error().status == 403);

    challenge = fx.server->challenge(kRealm, kTarget);
    AuthenticateMessage anonymous = lm_only;
    anonymous.user = "";
    anonymous.domain = "";
    anonymous.lm_response = Bytes(1, 0);
    anonymous.flags |= kNegotiateAnonymous;
    r = fx.server->authenticate(challenge->opaque, toBase64(encodeAuthenticate(anonymous)));
    REQUIRE_FALSE(r);
    CHECK(r.error().status == 403);
  }
  SUBCASE("plain NTLMv1 (24-byte response without extended session security)") {
    auto challenge = fx.server->challenge(kRealm, kTarget);
    AuthenticateMessage v1;
    v1.flags = kNegotiateUnicode | kNegotiateSign | kNegotiateExtendedSessionSecurity;
    v1.user = "alice";
    v1.nt_response = Bytes(24, 9);
    v1.lm_response = Bytes(24, 9);
    auto r = fx.server->authenticate(challenge->opaque, toBase64(encodeAuthenticate(v1)));
    REQUIRE_FALSE(r);
    CHECK(r.error().status == 403);  // NTLMv1 is off by default
  }
}

TEST_CASE("hostile gssapi-data is a clear error") {
  Fixture fx;
  auto expect = [&](std::string_view gssapi, int status) {
    auto challenge = fx.server->challenge(kRealm, kTarget);
    auto r = fx.server->authenticate(challenge->opaque, gssapi);
    REQUIRE_FALSE(r);
    CHECK(r.error().status == status);
  };
  expect("", 400);
  expect("not base64!", 400);
  expect(toBase64(bytesOf("NTLMSSP")), 400);
  expect(std::string(20000, 'A'), 400);
  // A valid message cut at every length.
  auto challenge = fx.server->challenge(kRealm, kTarget);
  auto answer = testing::answerChallenge(fromBase64(challenge->gssapi_data).value(), alice());
  for (size_t n = 0; n < answer->authenticate.size(); n += 7) {
    auto c = fx.server->challenge(kRealm, kTarget);
    auto r = fx.server->authenticate(c->opaque, toBase64(ByteView(answer->authenticate).first(n)));
    CHECK_FALSE(r);
  }
  // An NT response whose blob AV pairs run past the end.
  Bytes broken = answer->authenticate;
  auto decoded = decodeAuthenticate(broken);
  REQUIRE(decoded);
  AuthenticateMessage m = *decoded;
  m.nt_response.resize(16 + 28 + 2);  // AV pair list cut inside its header
  auto c = fx.server->challenge(kRealm, kTarget);
  CHECK(fx.server->authenticate(c->opaque, toBase64(encodeAuthenticate(m))).error().status == 400);
}

TEST_CASE("randomly corrupted AUTHENTICATE messages never crash and never log on as someone else") {
  Fixture fx;
  auto first = fx.server->challenge(kRealm, kTarget);
  testing::ClientInputs in = alice();
  auto answer = testing::answerChallenge(fromBase64(first->gssapi_data).value(), in);
  REQUIRE(answer);
  uint32_t seed = 0x5eed;
  auto next = [&seed] {
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
  };
  for (int round = 0; round < 300; ++round) {
    // The same server challenge each time, so only the corruption differs.
    NtlmServerConfig config;
    const Bytes challenge_bytes = fromBase64(first->gssapi_data).value();
    config.server_challenge_source = [&] {
      ServerChallenge c;
      std::copy(challenge_bytes.begin() + 24, challenge_bytes.begin() + 32, c.begin());
      return c;
    };
    Fixture local(config);
    auto c = local.server->challenge(kRealm, kTarget);
    Bytes b = answer->authenticate;
    const uint32_t flips = 1 + next() % 3;
    for (uint32_t i = 0; i < flips; ++i) {
      b[next() % b.size()] = static_cast<uint8_t>(next());
    }
    auto r = local.server->authenticate(c->opaque, toBase64(b));
    if (r) {
      CHECK(r->user == "alice");  // only bytes the proof does not cover changed
    }
  }
}

TEST_CASE("unknown opaque, expired challenge, expired SA") {
  NtlmServerConfig config;
  config.challenge_lifetime_ms = 30'000;
  config.association_lifetime_ms = 60'000;
  Fixture fx(config);
  CHECK(fx.server->authenticate("00000000DEADBEEF", "TlRMTVNTUAA=").error().status == 401);

  auto challenge = fx.server->challenge(kRealm, kTarget);
  auto answer = testing::answerChallenge(fromBase64(challenge->gssapi_data).value(), alice());
  fx.clock.advanceMs(30'001);
  auto late = fx.server->authenticate(challenge->opaque, toBase64(answer->authenticate));
  REQUIRE_FALSE(late);
  CHECK(late.error().status == 401);
  CHECK(fx.server->pendingCount() == 0);

  auto session = logOn(*fx.server, alice());
  REQUIRE(session);
  const ClientSignature s = clientSign(session->client_keys, 1, registerFields());
  CHECK(fx.server->verifyRequest("nope", registerFields(), s.crand, s.cnum, s.response)
            .error()
            .status == 401);
  CHECK(fx.server->sign("nope", registerFields()).error().status == 401);
  fx.clock.advanceMs(60'001);
  CHECK(fx.server->verifyRequest(session->opaque, registerFields(), s.crand, s.cnum, s.response)
            .error()
            .status == 401);
  CHECK(fx.server->find(session->opaque) == nullptr);
  CHECK(fx.server->associationCount() == 0);
}

TEST_CASE("replay window on cnum") {
  Fixture fx;
  auto session = logOn(*fx.server, alice());
  REQUIRE(session);
  auto accepted = [&](uint64_t cnum) {
    const ClientSignature s = clientSign(session->client_keys, cnum, registerFields());
    return static_cast<bool>(
        fx.server->verifyRequest(session->opaque, registerFields(), s.crand, s.cnum, s.response));
  };
  CHECK(accepted(5));
  CHECK_FALSE(accepted(5));  // replay
  CHECK(accepted(3));        // late but unseen
  CHECK_FALSE(accepted(3));
  CHECK(accepted(100));
  CHECK_FALSE(accepted(5));  // seen
  CHECK(accepted(40));       // within 64 of the highest
  CHECK(accepted(36));       // exactly 64 behind: the oldest still tracked
  CHECK_FALSE(accepted(36));
  CHECK_FALSE(accepted(35));  // 65 behind: too old to tell
  CHECK(accepted(164));       // exactly 64 ahead: 100 becomes the oldest tracked
  CHECK_FALSE(accepted(100));
  CHECK(accepted(1000));
  CHECK_FALSE(accepted(0));
  const ClientSignature s = clientSign(session->client_keys, 1001, registerFields());
  CHECK(fx.server->verifyRequest(session->opaque, registerFields(), s.crand, "abc", s.response)
            .error()
            .status == 403);
  // A failed signature does not burn the cnum.
  std::string bad = s.response;
  bad[10] = bad[10] == '0' ? '1' : '0';
  CHECK_FALSE(fx.server->verifyRequest(session->opaque, registerFields(), s.crand, s.cnum, bad));
  CHECK_FALSE(fx.server->verifyRequest(session->opaque, registerFields(), s.crand, s.cnum, "zz"));
  CHECK_FALSE(fx.server->verifyRequest(session->opaque, registerFields(), s.crand, s.cnum, "0100"));
  CHECK(fx.server->verifyRequest(session->opaque, registerFields(), s.crand, s.cnum, s.response));
}

TEST_CASE("a signature covers every field") {
  Fixture fx;
  auto session = logOn(*fx.server, alice());
  REQUIRE(session);
  const SignedFields base = registerFields();
  uint64_t cnum = 1;
  std::string_view SignedFields::*fields[] = {
      &SignedFields::call_id,  &SignedFields::cseq_number, &SignedFields::cseq_method,
      &SignedFields::from_uri, &SignedFields::from_tag,    &SignedFields::to_uri,
      &SignedFields::to_tag,   &SignedFields::pai_sip_uri, &SignedFields::pai_tel_uri,
      &SignedFields::expires};
  for (auto field : fields) {
    const ClientSignature s = clientSign(session->client_keys, cnum++, base);
    SignedFields changed = base;
    changed.*field = "changed";
    CHECK_FALSE(fx.server->verifyRequest(session->opaque, changed, s.crand, s.cnum, s.response));
  }
  const ClientSignature s = clientSign(session->client_keys, cnum++, base);
  CHECK_FALSE(fx.server->verifyRequest(session->opaque, base, "other", s.cnum, s.response));
}

TEST_CASE("pending challenges and SAs stay within their bounds") {
  NtlmServerConfig config;
  config.max_pending = 8;
  config.max_associations = 3;
  Fixture fx(config);
  std::vector<std::string> opaques;
  for (int i = 0; i < 50; ++i) {
    opaques.push_back(fx.server->challenge(kRealm, kTarget)->opaque);
    CHECK(fx.server->pendingCount() == std::min<size_t>(i + 1, 8));
  }
  // The oldest were dropped; the newest still work.
  CHECK(fx.server->authenticate(opaques.front(), "TlRMTVNTUAA=").error().status == 401);
  std::vector<std::string> sessions;
  for (int i = 0; i < 6; ++i) {
    auto session = logOn(*fx.server, alice());
    REQUIRE(session);
    sessions.push_back(session->opaque);
    CHECK(fx.server->associationCount() == std::min<size_t>(i + 1, 3));
  }
  CHECK(fx.server->find(sessions.front()) == nullptr);
  CHECK(fx.server->find(sessions[3]) != nullptr);
  CHECK(fx.server->find(sessions.back()) != nullptr);
  fx.server->forget(sessions.back());
  CHECK(fx.server->find(sessions.back()) == nullptr);
}

}  // namespace
}  // namespace core::registrar::ntlm
