// SPDX-License-Identifier: Apache-2.0
// Encoding round trips and hostile input for the NTLM message codecs.
#include <doctest/doctest.h>

#include <random>

#include "core-server/registrar/ntlm/ntlm_message.h"
#include "core-server/registrar/ntlm/ntlm_server.h"

namespace core::registrar::ntlm {
namespace {

Bytes validAuthenticate() {
  AuthenticateMessage m;
  m.flags = kNegotiateUnicode | kNegotiateExtendedSessionSecurity | kNegotiateSign;
  m.user = "alice";
  m.domain = "EXAMPLE";
  m.workstation = "WS1";
  m.lm_response = Bytes(24, 1);
  m.nt_response = Bytes(80, 2);
  m.encrypted_session_key = Bytes(16, 3);
  return encodeAuthenticate(m);
}

void putU32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    b[at + i] = static_cast<uint8_t>(v >> (8 * i));
  }
}

TEST_CASE("CHALLENGE encodes with target name, info and version, and decodes back") {
  ChallengeMessage m;
  m.flags = kNegotiateUnicode | kNegotiateTargetInfo | kNegotiateVersion;
  m.server_challenge = {1, 2, 3, 4, 5, 6, 7, 8};
  m.target_name = "CONFAB";
  m.target_info = encodeTargetInfo(TargetNames{"EXAMPLE", "SIP", "example.com", "sip.example.com"});
  const Bytes wire = encodeChallenge(m);
  CHECK(messageType(wire) == 2u);
  CHECK(wire.size() == 56 + 12 + m.target_info.size());
  auto back = decodeChallenge(wire);
  REQUIRE(back);
  CHECK(back->flags == m.flags);
  CHECK(back->server_challenge == m.server_challenge);
  CHECK(back->target_name == "CONFAB");
  CHECK(back->target_info == m.target_info);
  auto pairs = decodeAvPairs(back->target_info);
  REQUIRE(pairs);
  REQUIRE(pairs->size() == 4);
  CHECK((*pairs)[3].id == AvId::DnsComputerName);
  CHECK(utf16leToUtf8((*pairs)[3].value) == "sip.example.com");
}

TEST_CASE("target names derive from the targetname") {
  const TargetNames n = targetNamesFor("sip.example.com");
  CHECK(n.dns_computer == "sip.example.com");
  CHECK(n.dns_domain == "example.com");
  CHECK(n.netbios_computer == "SIP");
  CHECK(n.netbios_domain == "EXAMPLE");
  const TargetNames single = targetNamesFor("averyveryverylonghostname");
  CHECK(single.netbios_computer == "AVERYVERYVERYLO");
  CHECK(single.dns_domain == "averyveryverylonghostname");
}

TEST_CASE("AUTHENTICATE round-trips, with and without a MIC field") {
  const Bytes wire = validAuthenticate();
  auto m = decodeAuthenticate(wire);
  REQUIRE(m);
  CHECK(m->user == "alice");
  CHECK(m->domain == "EXAMPLE");
  CHECK(m->workstation == "WS1");
  CHECK(m->lm_response == Bytes(24, 1));
  CHECK(m->nt_response == Bytes(80, 2));
  CHECK(m->encrypted_session_key == Bytes(16, 3));
  CHECK_FALSE(m->mic_offset);
  AuthenticateMessage with = *m;
  auto mic = decodeAuthenticate(encodeAuthenticate(with, true));
  REQUIRE(mic);
  CHECK(mic->mic_offset == size_t{72});
  CHECK(mic->user == "alice");
}

TEST_CASE("NEGOTIATE decodes, short or full") {
  Bytes wire = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 1, 0, 0, 0, 0x07, 0x82, 0x08, 0xa2};
  auto shorter = decodeNegotiate(wire);
  REQUIRE(shorter);
  CHECK(shorter->flags == 0xa2088207);
  wire.resize(32, 0);
  putU32(wire, 20, 32);  // empty domain, offset at the end
  CHECK(decodeNegotiate(wire));
  putU32(wire, 16, 0x00100010);  // domain length 16 with offset 0x20 beyond the end
  putU32(wire, 20, 32);
  auto bad = decodeNegotiate(wire);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().status == 400);
}

TEST_CASE("hostile AUTHENTICATE messages are clear errors") {
  const Bytes good = validAuthenticate();
  SUBCASE("every truncation") {
    for (size_t n = 0; n < good.size(); ++n) {
      auto r = decodeAuthenticate(ByteView(good).first(n));
      CHECK_FALSE(r);
    }
  }
  SUBCASE("wrong signature and type") {
    Bytes b = good;
    b[0] = 'X';
    CHECK_FALSE(decodeAuthenticate(b));
    b = good;
    b[8] = 2;
    CHECK_FALSE(decodeAuthenticate(b));
    CHECK_FALSE(messageType(Bytes{1, 2, 3}));
  }
  SUBCASE("offsets and lengths pointing outside") {
    for (size_t field : {12, 20, 28, 36, 44, 52}) {
      Bytes b = good;
      putU32(b, field + 4, 0xfffffff0);  // offset far away
      CHECK_FALSE(decodeAuthenticate(b));
      b = good;
      b[field] = 0xff;  // length 0xffxx
      b[field + 1] = 0xff;
      CHECK_FALSE(decodeAuthenticate(b));
      b = good;
      putU32(b, field + 4, static_cast<uint32_t>(b.size()));  // just past the end
      CHECK_FALSE(decodeAuthenticate(b));
    }
  }
  SUBCASE("payload overlapping the header") {
    Bytes b = good;
    putU32(b, 36 + 4, 8);  // user name inside the header
    CHECK_FALSE(decodeAuthenticate(b));
  }
  SUBCASE("strings that are not UTF-16LE") {
    Bytes b = good;
    b[36] = 3;  // user name length 3: odd
    CHECK_FALSE(decodeAuthenticate(b));
  }
  SUBCASE("random corruption never crashes") {
    std::mt19937 rng(12345);
    for (int round = 0; round < 2000; ++round) {
      Bytes b = good;
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < flips; ++i) {
        b[rng() % b.size()] = static_cast<uint8_t>(rng());
      }
      b.resize(rng() % (b.size() + 1));
      (void)decodeAuthenticate(b);
    }
  }
}

TEST_CASE("hostile AV pair lists are clear errors") {
  CHECK(decodeAvPairs(Bytes{0, 0, 0, 0}).value().empty());
  CHECK_FALSE(decodeAvPairs(Bytes{}));                        // no EOL
  CHECK_FALSE(decodeAvPairs(Bytes{2, 0, 4, 0, 'a', 0}));      // value overruns
  CHECK_FALSE(decodeAvPairs(Bytes{2, 0, 0xff, 0xff, 0, 0}));  // huge length
  CHECK_FALSE(decodeAvPairs(Bytes{2, 0, 0, 0}));              // EOL missing after a pair
  Bytes many;
  for (int i = 0; i < 100; ++i) {
    many.insert(many.end(), {2, 0, 0, 0});
  }
  many.insert(many.end(), {0, 0, 0, 0});
  CHECK_FALSE(decodeAvPairs(many));  // too many pairs
}

TEST_CASE("hostile CHALLENGE messages are clear errors") {
  ChallengeMessage m;
  m.flags = kNegotiateUnicode;
  m.target_name = "X";
  m.target_info = encodeAvPairs({});
  const Bytes good = encodeChallenge(m);
  for (size_t n = 0; n < 48; ++n) {
    CHECK_FALSE(decodeChallenge(ByteView(good).first(n)));
  }
  Bytes b = good;
  putU32(b, 44, 0x7fffffff);
  CHECK_FALSE(decodeChallenge(b));
}

}  // namespace
}  // namespace core::registrar::ntlm
