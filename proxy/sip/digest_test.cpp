// SPDX-License-Identifier: Apache-2.0
#include "proxy/sip/digest.h"

#include <doctest/doctest.h>

namespace proxy::sip {
namespace {

TEST_CASE("digestHex matches known empty-input hashes") {
  CHECK(digestHex(DigestAlgorithm::Md5, "") == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(digestHex(DigestAlgorithm::Sha256, "") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("RFC 2617 §3.5 example (MD5, qop=auth)") {
  const std::string ha1 =
      computeHa1(DigestAlgorithm::Md5, "Mufasa", "testrealm@host.com", "Circle Of Life");
  CHECK(ha1 == "939e7578ed9e3c518a452acee763bce9");
  CHECK(computeResponse(DigestAlgorithm::Md5, ha1, "GET", "/dir/index.html",
                        "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b",
                        "auth") == "6629fae49393a05397450978507c4ef1");
}

TEST_CASE("the response from a precomputed HA2 is the same response") {
  const std::string ha1 =
      computeHa1(DigestAlgorithm::Md5, "Mufasa", "testrealm@host.com", "Circle Of Life");
  const std::string ha2 = computeHa2(DigestAlgorithm::Md5, "GET", "/dir/index.html");
  CHECK(ha2 == digestHex(DigestAlgorithm::Md5, "GET:/dir/index.html"));
  CHECK(computeResponseFromHa2(DigestAlgorithm::Md5, ha1, ha2, "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                               "00000001", "0a4f113b",
                               "auth") == "6629fae49393a05397450978507c4ef1");
}

TEST_CASE("the response written into a buffer is the same response") {
  const std::string ha1 =
      computeHa1(DigestAlgorithm::Md5, "Mufasa", "testrealm@host.com", "Circle Of Life");
  const std::string ha2 = computeHa2(DigestAlgorithm::Md5, "GET", "/dir/index.html");
  char out[kMaxDigestHexLength];
  const size_t length = computeResponseFromHa2Into(DigestAlgorithm::Md5, ha1, ha2,
                                                   "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001",
                                                   "0a4f113b", "auth", out);
  CHECK(std::string_view(out, length) == "6629fae49393a05397450978507c4ef1");
  // Without qop (RFC 2069) and with SHA-256 (64 hex digits) it agrees with the string form.
  for (const char* qop : {"", "auth"}) {
    for (DigestAlgorithm alg : {DigestAlgorithm::Md5, DigestAlgorithm::Sha256}) {
      const size_t n = computeResponseFromHa2Into(alg, ha1, ha2, "n", "00000002", "c", qop, out);
      CHECK(std::string_view(out, n) ==
            computeResponseFromHa2(alg, ha1, ha2, "n", "00000002", "c", qop));
      CHECK(n == (alg == DigestAlgorithm::Sha256 ? 64u : 32u));
    }
  }
}

TEST_CASE("legacy digest without qop (RFC 2069 compatibility)") {
  const std::string ha1 =
      computeHa1(DigestAlgorithm::Md5, "Mufasa", "testrealm@host.com", "Circle Of Life");
  CHECK(computeResponse(DigestAlgorithm::Md5, ha1, "GET", "/dir/index.html",
                        "dcd98b7102dd2f0e8b11d0f600bfb0c093", "", "",
                        "") == "670fd8c2df070c60b045671b8b24ff02");
}

TEST_CASE("RFC 7616 §3.9.1 example (SHA-256, qop=auth)") {
  const std::string ha1 =
      computeHa1(DigestAlgorithm::Sha256, "Mufasa", "http-auth@example.org", "Circle of Life");
  CHECK(ha1 == "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232");
  CHECK(computeResponse(DigestAlgorithm::Sha256, ha1, "GET", "/dir/index.html",
                        "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "00000001",
                        "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "auth") ==
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

TEST_CASE("parseCredentials reads quoted and token parameters") {
  auto c = parseCredentials(
      "Digest username=\"Mufasa\", realm=\"testrealm@host.com\",\r\n"
      "  nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", qop=auth,\r\n"
      "  nc=00000001, cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\",\r\n"
      "  opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", algorithm=MD5");
  REQUIRE(c);
  CHECK(c->scheme == "Digest");
  CHECK(c->username == "Mufasa");
  CHECK(c->realm == "testrealm@host.com");
  CHECK(c->nonce == "dcd98b7102dd2f0e8b11d0f600bfb0c093");
  CHECK(c->uri == "/dir/index.html");
  CHECK(c->qop == "auth");
  CHECK(c->nc == "00000001");
  CHECK(c->cnonce == "0a4f113b");
  CHECK(c->response == "6629fae49393a05397450978507c4ef1");
  CHECK(c->opaque == "5ccc069c403ebaf9f0171e9517f40e41");
  CHECK(c->algorithm == "MD5");
}

TEST_CASE("parseCredentials: case-insensitive names, commas in quotes, unknown params") {
  auto c = parseCredentials(
      "digest USERNAME=\"bob\",Realm=\"a, b\" , x-unknown=\"ignored, really\",nonce=n1");
  REQUIRE(c);
  CHECK(c->scheme == "digest");
  CHECK(c->username == "bob");
  CHECK(c->realm == "a, b");
  CHECK(c->nonce == "n1");
  CHECK(c->response.empty());
}

TEST_CASE("parseCredentials: quoted-pairs inside quoted values") {
  auto c = parseCredentials(R"(Digest username="a\"b", realm="r\\", nonce="n\\\"x", opaque="o")");
  REQUIRE(c);
  CHECK(c->username == R"(a\"b)");
  CHECK(c->realm == R"(r\\)");
  CHECK(c->nonce == R"(n\\\"x)");
  CHECK(c->opaque == "o");
  CHECK_FALSE(parseCredentials(R"(Digest username="a\")"));   // the quote is escaped: unterminated
  CHECK_FALSE(parseCredentials(R"(Digest username="a\)"));    // ends inside a quoted-pair
  CHECK_FALSE(parseCredentials(R"(Digest username="\\\")"));  // the last quote is escaped
}

TEST_CASE("parseCredentials rejects malformed Digest credentials") {
  CHECK_FALSE(parseCredentials(""));
  CHECK_FALSE(parseCredentials("   "));
  CHECK_FALSE(parseCredentials("Digest username"));
  CHECK_FALSE(parseCredentials("Digest username=\"unterminated"));
  CHECK_FALSE(parseCredentials("Digest username=\"a\" realm=\"b\""));  // missing comma
  CHECK_FALSE(parseCredentials("Digest =x"));
  CHECK_FALSE(parseCredentials("\"Digest\" username=a"));
  auto bad = parseCredentials("Digest username=\"x");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().status == 400);
}

TEST_CASE("parseCredentials passes other schemes through (RFC 4475 regaut01)") {
  auto c = parseCredentials("NoOneKnowsThisScheme opaque-data=here");
  REQUIRE(c);
  CHECK(c->scheme == "NoOneKnowsThisScheme");
  auto bearer = parseCredentials("Bearer abc.def==");
  REQUIRE(bearer);
  CHECK(bearer->scheme == "Bearer");
  CHECK(bearer->username.empty());
}

TEST_CASE("parseAlgorithm and algorithmName") {
  CHECK(parseAlgorithm("") == DigestAlgorithm::Md5);
  CHECK(parseAlgorithm("md5") == DigestAlgorithm::Md5);
  CHECK(parseAlgorithm("MD5") == DigestAlgorithm::Md5);
  CHECK(parseAlgorithm("sha-256") == DigestAlgorithm::Sha256);
  CHECK(parseAlgorithm("SHA-256") == DigestAlgorithm::Sha256);
  CHECK_FALSE(parseAlgorithm("MD5-sess").has_value());
  CHECK_FALSE(parseAlgorithm("SHA-512-256").has_value());
  CHECK_FALSE(parseAlgorithm("SHA256").has_value());
  CHECK(algorithmName(DigestAlgorithm::Md5) == "MD5");
  CHECK(algorithmName(DigestAlgorithm::Sha256) == "SHA-256");
}

}  // namespace
}  // namespace proxy::sip

namespace proxy::sip {

TEST_CASE("nonce counts: up to 8 hex digits, either case") {
  CHECK(parseNonceCount("00000001") == 1u);
  CHECK(parseNonceCount("FFffFFff") == 0xffffffffu);
  CHECK(parseNonceCount("1a") == 0x1au);
  CHECK_FALSE(parseNonceCount(""));
  CHECK_FALSE(parseNonceCount("000000001"));
  CHECK_FALSE(parseNonceCount("0x1"));
  CHECK_FALSE(parseNonceCount("-1"));
}

TEST_CASE("a challenge names realm, nonce, opaque, algorithm and qop; stale only when asked") {
  CHECK(digestChallenge("example.test", "n1", "o1", DigestAlgorithm::Sha256, false) ==
        "Digest realm=\"example.test\", nonce=\"n1\", opaque=\"o1\", algorithm=SHA-256, "
        "qop=\"auth\"");
  CHECK(digestChallenge("r", "n", "o", DigestAlgorithm::Md5, true) ==
        "Digest realm=\"r\", nonce=\"n\", opaque=\"o\", algorithm=MD5, qop=\"auth\", stale=true");
}

}  // namespace proxy::sip
