// SPDX-License-Identifier: Apache-2.0
// The SIP side of NTLM: credentials, signed fields, a logon through
// NtlmSecurity with the test client, signed requests, and the flow signer.
#include <doctest/doctest.h>

#include <openssl/rand.h>

#include "core-server/registrar/ntlm/ntlm_flow_signer.h"
#include "core-server/registrar/ntlm/ntlm_security.h"
#include "core-server/registrar/ntlm/ntlm_sip.h"
#include "core-server/registrar/ntlm/ntlm_test_client.h"
#include "proxy/base/clock.h"

namespace core::registrar::ntlm {
namespace {

proxy::sip::SipMessage parse(std::string text) {
  auto message = proxy::sip::SipMessage::parse(text);
  REQUIRE(message);
  return std::move(*message);
}

std::string registerWith(std::string_view authorization, std::string_view cseq = "2") {
  return "REGISTER sip:example.test SIP/2.0\r\n"
         "Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
         "From: <sip:alice@example.test>;tag=ft1;epid=e1\r\n"
         "To: <sip:alice@example.test>\r\n"
         "Call-ID: call-1\r\n"
         "CSeq: " +
         std::string(cseq) +
         " REGISTER\r\n"
         "Contact: <sip:127.0.0.1:5070;transport=tcp>\r\n"
         "Authorization: " +
         std::string(authorization) +
         "\r\n"
         "Content-Length: 0\r\n\r\n";
}

}  // namespace

TEST_CASE("NTLM credentials: parameters, quoting, and not-NTLM") {
  auto c = parseNtlmCredentials(
      R"(NTLM qop="auth", opaque="ABCD", realm="SIP Communications Service", )"
      R"(targetname="confab.example.test", gssapi-data="", version=4, crand="1a", cnum="3", )"
      R"(response="0100")");
  REQUIRE(c);
  CHECK(c->opaque == "ABCD");
  CHECK(c->has_gssapi_data);
  CHECK(c->gssapi_data.empty());
  CHECK(c->version == "4");
  CHECK(c->signed_message());
  CHECK_FALSE(parseNtlmCredentials(R"(Digest username="alice")"));
  CHECK_FALSE(parseNtlmCredentials(R"(NTLMX opaque="a")"));
  CHECK_FALSE(parseNtlmCredentials(R"(NTLM opaque="unterminated)"));
  CHECK_FALSE(parseNtlmCredentials("NTLM novalue"));
}

TEST_CASE("signed fields are taken from the message as written") {
  auto m = parse(
      "SIP/2.0 200 OK\r\n"
      "Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
      "From: \"Alice\" <sip:alice@example.test>;tag=ft1;epid=e1\r\n"
      "To: sip:alice@example.test;tag=tt9\r\n"
      "Call-ID: call-1\r\n"
      "CSeq: 7  REGISTER\r\n"
      "P-Asserted-Identity: <sip:alice@example.test>, <tel:+15551234>\r\n"
      "Expires: 300\r\n"
      "Content-Length: 0\r\n\r\n");
  SignedFields f = signedFieldsOf(m);
  CHECK(f.call_id == "call-1");
  CHECK(f.cseq_number == "7");
  CHECK(f.cseq_method == "REGISTER");
  CHECK(f.from_uri == "sip:alice@example.test");
  CHECK(f.from_tag == "ft1");
  CHECK(f.to_uri == "sip:alice@example.test");
  CHECK(f.to_tag == "tt9");
  CHECK(f.pai_sip_uri == "sip:alice@example.test");
  CHECK(f.pai_tel_uri == "tel:+15551234");
  CHECK(f.expires == "300");
  CHECK(f.response_code == 200);
}

TEST_CASE("logon through REGISTER, signed requests, and signed messages to the client") {
  proxy::ManualClock clock;
  NtlmSecurity security(clock,
                        NtlmOptions{"SIP Communications Service", "confab.example.test", {}});
  auto hash = ntHash("alicepw").value();
  storage::UserRecord alice{"alice@example.test", "example.test", "", "", toHex(hash)};
  UserDirectory users(UserTable::build({alice}, {}));

  CHECK(security.offer().starts_with("NTLM realm=\"SIP Communications Service\""));
  auto header = security.challenge("");
  REQUIRE(header);
  auto challenge = parseNtlmCredentials(*header);
  REQUIRE(challenge);
  REQUIRE_FALSE(challenge->opaque.empty());

  testing::ClientInputs in;
  in.user = "alice";
  in.domain = "";
  in.nt_hash = hash;
  RAND_bytes(in.client_challenge.data(), 8);
  RAND_bytes(in.random_session_key.data(), 16);
  auto answer = testing::answerChallenge(fromBase64(challenge->gssapi_data).value(), in);
  REQUIRE(answer);
  const std::string auth = "NTLM qop=\"auth\", opaque=\"" + std::string(challenge->opaque) +
                           "\", gssapi-data=\"" + toBase64(answer->authenticate) + "\", version=4";

  SUBCASE("the logged-on user must be the registered AOR") {
    auto request = parse(registerWith(auth));
    auto creds = findNtlmCredentials(request, false);
    REQUIRE(creds);
    auto bob = security.logon(request, *creds, "bob@example.test", users);
    REQUIRE_FALSE(bob);
    CHECK(bob.error().status == 403);
  }
  SUBCASE("a good logon, then signatures both ways") {
    auto request = parse(registerWith(auth));
    auto creds = findNtlmCredentials(request, false);
    REQUIRE(creds);
    auto opaque = security.logon(request, *creds, "alice@example.test", users);
    REQUIRE(opaque);

    // A request the client signs with its keys is verified as alice's.
    auto unsigned_request = parse(registerWith("NTLM opaque=\"x\"", "3"));
    SignedFields fields = signedFieldsOf(unsigned_request);
    SignatureContext context{
        "NTLM", "3e49177a", "1", "SIP Communications Service", "confab.example.test", 4};
    std::string response = toHex(computeMac(answer->keys.flags, answer->keys.client_signing_key,
                                            answer->keys.client_sealing_key, kSipaeSeqNum,
                                            bytesOf(signatureBuffer(context, fields)))
                                     .value());
    auto signed_request = parse(registerWith("NTLM qop=\"auth\", opaque=\"" + *opaque +
                                                 "\", crand=\"3e49177a\", cnum=\"1\", " +
                                                 "response=\"" + response + "\"",
                                             "3"));
    auto signed_creds = findNtlmCredentials(signed_request, false);
    REQUIRE(signed_creds);
    auto who = security.verify(signed_request, *signed_creds);
    REQUIRE(who);
    CHECK(*who == "alice@example.test");
    auto replay = security.verify(signed_request, *signed_creds);
    CHECK_FALSE(replay);  // the same cnum again

    // What we send on the client's connection gets Authentication-Info.
    NtlmFlowSigner signer(security);
    proxy::transport::Flow flow;
    flow.protocol = proxy::transport::Protocol::Tcp;
    flow.connection_id = 42;
    std::string notify =
        "NOTIFY sip:alice@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK2"
        "\r\nFrom: <sip:bob@example.test>;tag=b1\r\nTo: <sip:alice@example.test>;tag=ft1\r\n"
        "Call-ID: c2\r\nCSeq: 1 NOTIFY\r\nContent-Length: 0\r\n\r\n";
    std::string plain = notify;
    signer.filter(flow, plain);
    CHECK(plain == notify);  // not bound yet
    signer.bind(flow, *opaque);
    CHECK(signer.opaqueOf(flow) == *opaque);
    signer.filter(flow, notify);
    CHECK(notify.find("\r\nAuthentication-Info: NTLM rspauth=\"") != std::string::npos);
    CHECK(static_cast<bool>(proxy::sip::SipMessage::parse(notify)));

    security.forget(*opaque);
    std::string after = plain;
    signer.filter(flow, after);
    CHECK(after == plain);  // SA gone: unbound, sent unsigned
    CHECK(signer.size() == 0);
  }
}

}  // namespace core::registrar::ntlm
