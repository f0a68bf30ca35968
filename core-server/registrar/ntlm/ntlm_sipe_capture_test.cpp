// SPDX-License-Identifier: Apache-2.0
// Captured data from pidgin-sipe's own tests (tieto/sipe src/core/sip-sec-ntlm-tests.c):
// a real Office Communicator 2007 R2 <-> OCS 2007 R2 NTLMv2 logon (user "User",
// domain "COSMO", password "Pa$$word") and the signed REGISTER / 200 OK that
// followed. Used as data only: our decoder, verifier, key derivation, signature
// buffer and MAC must reproduce every value.
#include <doctest/doctest.h>

#include "core-server/registrar/ntlm/ntlm_server.h"
#include "core-server/registrar/ntlm/ntlm_test_client.h"
#include "proxy/base/clock.h"

namespace core::registrar::ntlm {
namespace {

Bytes hex(std::string_view text) { return fromHex(text).value(); }

constexpr std::string_view kChallengeHex =
    "4E544C4D53535000020000000000000038000000F38298E2DD1BAAF4E7E218D1000000000000000096009600"
    "380000000502CE0E0000000F02000A0043004F0053004D004F000100180043004F0053004D004F002D004F00"
    "430053002D00520032000400160063006F0073006D006F002E006C006F00630061006C000300300063006F00"
    "73006D006F002D006F00630073002D00720032002E0063006F0073006D006F002E006C006F00630061006C00"
    "0500160063006F0073006D006F002E006C006F00630061006C0000000000";

constexpr std::string_view kAuthenticateHex =
    "4E544C4D53535000030000001800180072000000C600C6008A0000000A000A00480000000800080052000000"
    "180018005A0000001000100050010000558298620502CE0E0000000F43004F0053004D004F00550073006500"
    "720043004F0053004D004F002D004F00430053002D0052003200A1E92EFE4E078BF7C5C0049ACC6166C2D6AE"
    "875CB0FDAA418DC0C800AE76ECA606D2B9FBEBD04731010100000000000059519A1727B9CA01D6AE875CB0FD"
    "AA410000000002000A0043004F0053004D004F000100180043004F0053004D004F002D004F00430053002D00"
    "520032000400160063006F0073006D006F002E006C006F00630061006C000300300063006F0073006D006F00"
    "2D006F00630073002D00720032002E0063006F0073006D006F002E006C006F00630061006C00050016006300"
    "6F0073006D006F002E006C006F00630061006C00000000000000000031CB739E1CA80A498591E8AE797115E4";

// The same AUTHENTICATE as the client sent it in Proxy-Authorization gssapi-data.
constexpr std::string_view kAuthenticateBase64 =
    "TlRMTVNTUAADAAAAGAAYAHIAAADGAMYAigAAAAoACgBIAAAACAAIAFIAAAAYABgAWgAAABAAEABQAQAAVYKYYgUCzg4AAA"
    "AP"
    "QwBPAFMATQBPAFUAcwBlAHIAQwBPAFMATQBPAC0ATwBDAFMALQBSADIAoeku/k4Hi/fFwASazGFmwtauh1yw/"
    "apBjcDIAK52"
    "7KYG0rn769BHMQEBAAAAAAAAWVGaFye5ygHWrodcsP2qQQAAAAACAAoAQwBPAFMATQBPAAEAGABDAE8AUwBNAE8ALQBPAE"
    "MA"
    "UwAtAFIAMgAEABYAYwBvAHMAbQBvAC4AbABvAGMAYQBsAAMAMABjAG8AcwBtAG8ALQBvAGMAcwAtAHIAMgAuAGMAbwBzAG"
    "0A"
    "bwAuAGwAbwBjAGEAbAAFABYAYwBvAHMAbQBvAC4AbABvAGMAYQBsAAAAAAAAAAAAMctznhyoCkmFkeiueXEV5A==";

constexpr std::string_view kRealm = "SIP Communications Service";
constexpr std::string_view kTarget = "cosmo-ocs-r2.cosmo.local";

// REGISTER from the client, signed with crand="13317733", cnum="1".
SignedFields requestFields() {
  SignedFields f;
  f.call_id = "4037df9284354df39065195bd57a4b14";
  f.cseq_number = "3";
  f.cseq_method = "REGISTER";
  f.from_uri = "sip:user@cosmo.local";
  f.from_tag = "3e49177a52";
  f.to_uri = "sip:user@cosmo.local";
  return f;
}
constexpr std::string_view kRequestBuffer =
    "<NTLM><13317733><1><SIP Communications Service><cosmo-ocs-r2.cosmo.local>"
    "<4037df9284354df39065195bd57a4b14><3><REGISTER><sip:user@cosmo.local><3e49177a52>"
    "<sip:user@cosmo.local><><><><>";
constexpr std::string_view kRequestSignature = "0100000029618e9651b65a7764000000";

// The server's 200 OK, signed with srand="9616454F", snum="1".
SignedFields responseFields() {
  SignedFields f = requestFields();
  f.to_tag = "5E61CCD925D17E043D9A74835A88F664";
  f.expires = "7200";
  f.response_code = 200;
  return f;
}
constexpr std::string_view kResponseBuffer =
    "<NTLM><9616454F><1><SIP Communications Service><cosmo-ocs-r2.cosmo.local>"
    "<4037df9284354df39065195bd57a4b14><3><REGISTER><sip:user@cosmo.local><3e49177a52>"
    "<sip:user@cosmo.local><5E61CCD925D17E043D9A74835A88F664><><><7200><200>";
constexpr std::string_view kResponseSignature = "01000000e615438a917661be64000000";

ServerChallenge capturedServerChallenge() {
  ServerChallenge c;
  const Bytes b = hex("DD1BAAF4E7E218D1");
  std::copy(b.begin(), b.end(), c.begin());
  return c;
}

SessionKeys capturedKeys() {
  auto message = decodeAuthenticate(hex(kAuthenticateHex));
  auto verified =
      verifyResponse(*message, ntHash("Pa$$word").value(), capturedServerChallenge(), {});
  REQUIRE(verified);
  auto keys =
      deriveSessionKeys(message->flags, verified->key_exchange_key, message->encrypted_session_key);
  REQUIRE(keys);
  return *keys;
}

TEST_CASE("OCS 2007 R2 CHALLENGE decodes") {
  auto challenge = decodeChallenge(hex(kChallengeHex));
  REQUIRE(challenge);
  CHECK(challenge->flags == 0xe29882f3);
  CHECK(challenge->server_challenge == capturedServerChallenge());
  CHECK(challenge->target_name.empty());
  CHECK(challenge->target_info.size() == 150);
  auto pairs = decodeAvPairs(challenge->target_info);
  REQUIRE(pairs);
  REQUIRE(pairs->size() == 5);
  CHECK((*pairs)[0].id == AvId::NbDomainName);
  CHECK(utf16leToUtf8((*pairs)[0].value) == "COSMO");
  CHECK(utf16leToUtf8((*pairs)[1].value) == "COSMO-OCS-R2");
  CHECK(utf16leToUtf8((*pairs)[3].value) == "cosmo-ocs-r2.cosmo.local");
}

TEST_CASE("Communicator 2007 R2 AUTHENTICATE decodes and verifies") {
  CHECK(fromBase64(kAuthenticateBase64).value() == hex(kAuthenticateHex));
  auto message = decodeAuthenticate(hex(kAuthenticateHex));
  REQUIRE(message);
  CHECK(message->flags == 0x62988255);
  CHECK(message->user == "User");
  CHECK(message->domain == "COSMO");
  CHECK(message->workstation == "COSMO-OCS-R2");
  CHECK(message->lm_response.size() == 24);
  CHECK(message->nt_response.size() == 198);
  CHECK(toHex(message->encrypted_session_key) == "31cb739e1ca80a498591e8ae797115e4");
  CHECK_FALSE(message->mic_offset);  // payload starts at 72: no room for a MIC

  auto verified =
      verifyResponse(*message, ntHash("Pa$$word").value(), capturedServerChallenge(), {});
  REQUIRE(verified);
  CHECK(verified->kind == ResponseKind::NtlmV2);
  auto wrong = verifyResponse(*message, ntHash("Pa$$w0rd").value(), capturedServerChallenge(), {});
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().status == 403);
}

TEST_CASE("the signed REGISTER and 200 OK reproduce bit for bit") {
  const SessionKeys keys = capturedKeys();
  SignatureContext request{"NTLM", "13317733", "1", kRealm, kTarget, 4};
  const std::string request_buffer = signatureBuffer(request, requestFields());
  CHECK(request_buffer == kRequestBuffer);
  auto mac = computeMac(keys.flags, keys.client_signing_key, keys.client_sealing_key, kSipaeSeqNum,
                        bytesOf(request_buffer));
  CHECK(toHex(mac.value()) == kRequestSignature);

  SignatureContext response{"NTLM", "9616454F", "1", kRealm, kTarget, 4};
  const std::string response_buffer = signatureBuffer(response, responseFields());
  CHECK(response_buffer == kResponseBuffer);
  mac = computeMac(keys.flags, keys.server_signing_key, keys.server_sealing_key, kSipaeSeqNum,
                   bytesOf(response_buffer));
  CHECK(toHex(mac.value()) == kResponseSignature);
}

TEST_CASE("the version 2 buffer layout of the OCS 2007 capture") {
  SignedFields f;
  f.call_id = "8592g5DCBa1694i5887m0D0Bt2247b3F38xAE9Fx";
  f.cseq_number = "3";
  f.cseq_method = "REGISTER";
  f.from_uri = "sip:gabriel@ocs.provo.novell.com";
  f.from_tag = "2947328781";
  f.to_uri = "sip:gabriel@ocs.provo.novell.com";  // not part of the version 2 layout
  f.to_tag = "B816D65C2300A32CFA6D371F2AF537FD";
  f.expires = "900";
  f.response_code = 200;
  SignatureContext context{"NTLM", "0878F41B", "1", kRealm, "ocs1.ocs.provo.novell.com", 2};
  CHECK(signatureBuffer(context, f) ==
        "<NTLM><0878F41B><1><SIP Communications Service><ocs1.ocs.provo.novell.com>"
        "<8592g5DCBa1694i5887m0D0Bt2247b3F38xAE9Fx><3><REGISTER>"
        "<sip:gabriel@ocs.provo.novell.com><2947328781><B816D65C2300A32CFA6D371F2AF537FD>"
        "<900><200>");
}

TEST_CASE("the test client rebuilds the captured AUTHENTICATE byte for byte") {
  const SessionKeys keys = capturedKeys();
  testing::ClientInputs in;
  in.user = "User";
  in.domain = "COSMO";
  in.workstation = "COSMO-OCS-R2";
  in.nt_hash = ntHash("Pa$$word").value();
  const Bytes cc = hex("D6AE875CB0FDAA41");
  std::copy(cc.begin(), cc.end(), in.client_challenge.begin());
  const Bytes ts = hex("59519A1727B9CA01");
  std::copy(ts.begin(), ts.end(), in.timestamp.begin());
  in.random_session_key = keys.exported_session_key;
  auto result = testing::answerChallenge(hex(kChallengeHex), in);
  REQUIRE(result);
  CHECK(toHex(result->authenticate) == toHex(hex(kAuthenticateHex)));
  CHECK(result->keys.client_signing_key == keys.client_signing_key);
  CHECK(result->keys.server_sealing_key == keys.server_sealing_key);
}

TEST_CASE("NtlmServer accepts the captured logon and signed REGISTER") {
  proxy::ManualClock clock;
  NtlmServerConfig config;
  config.server_challenge_source = capturedServerChallenge;
  int lookups = 0;
  NtlmServer server(
      clock,
      [&](std::string_view user, std::string_view domain) -> std::optional<NtHash> {
        ++lookups;
        if (user == "User" && domain == "COSMO") {
          return ntHash("Pa$$word");
        }
        return std::nullopt;
      },
      config);
  auto challenge = server.challenge(kRealm, kTarget, "");
  REQUIRE(challenge);
  auto logon = server.authenticate(challenge->opaque, kAuthenticateBase64);
  REQUIRE(logon);
  CHECK(lookups == 1);
  CHECK(logon->user == "User");
  CHECK(logon->domain == "COSMO");
  CHECK(logon->opaque == challenge->opaque);
  CHECK(
      server.verifyRequest(challenge->opaque, requestFields(), "13317733", "1", kRequestSignature));
  auto replay =
      server.verifyRequest(challenge->opaque, requestFields(), "13317733", "1", kRequestSignature);
  REQUIRE_FALSE(replay);
  CHECK(replay.error().status == 403);

  auto signed_response = server.sign(challenge->opaque, responseFields());
  REQUIRE(signed_response);
  CHECK(signed_response->snum == "1");
  CHECK(signed_response->rspauth.size() == 32);
  CHECK(signed_response->rspauth.substr(24) == "64000000");  // SeqNum 100
  // What pidgin-sipe's verifier computes from our Authentication-Info.
  const SessionKeys keys = capturedKeys();
  SignatureContext context{"NTLM", signed_response->srand, "1", kRealm, kTarget, 4};
  auto mac = computeMac(keys.flags, keys.server_signing_key, keys.server_sealing_key, kSipaeSeqNum,
                        bytesOf(signatureBuffer(context, responseFields())));
  CHECK(toHex(mac.value()) == signed_response->rspauth);
  CHECK(signed_response->header ==
        "NTLM rspauth=\"" + signed_response->rspauth + "\", srand=\"" + signed_response->srand +
            "\", snum=\"1\", opaque=\"" + challenge->opaque +
            "\", qop=\"auth\", targetname=\"cosmo-ocs-r2.cosmo.local\", realm=\"SIP "
            "Communications Service\"");
  CHECK(server.sign(challenge->opaque, responseFields())->snum == "2");
}

}  // namespace
}  // namespace core::registrar::ntlm
