// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <string>

#include "core-server/presence/xcap/http_digest.h"
#include "proxy/sip/digest.h"

namespace core::presence::xcap {
namespace {

namespace sip = proxy::sip;

class FixedClock : public proxy::Clock {
 public:
  int64_t monotonicMs() const override { return now_s * 1000; }
  int64_t unixSeconds() const override { return now_s; }
  int64_t now_s = 1'700'000'000;
};

std::shared_ptr<const registrar::UserTable> users() {
  storage::UserRecord alice;
  alice.aor = "alice@example.test";
  alice.realm = "example.test";
  alice.ha1_md5 = sip::computeHa1(sip::DigestAlgorithm::Md5, "alice", "example.test", "secret");
  alice.ha1_sha256 =
      sip::computeHa1(sip::DigestAlgorithm::Sha256, "alice", "example.test", "secret");
  return registrar::UserTable::build({alice}, {});
}

std::string param(const std::string& challenge, const std::string& name) {
  const size_t at = challenge.find(name + "=\"");
  REQUIRE(at != std::string::npos);
  const size_t start = at + name.size() + 2;
  return challenge.substr(start, challenge.find('"', start) - start);
}

std::string authorization(const std::string& challenge, const std::string& password,
                          const std::string& nc, const std::string& uri = "/xcap/x") {
  const std::string nonce = param(challenge, "nonce");
  const std::string ha1 =
      sip::computeHa1(sip::DigestAlgorithm::Md5, "alice", "example.test", password);
  const std::string response =
      sip::computeResponse(sip::DigestAlgorithm::Md5, ha1, "GET", uri, nonce, nc, "c0ffee", "auth");
  return "Digest username=\"alice\", realm=\"example.test\", nonce=\"" + nonce + "\", uri=\"" +
         uri + "\", response=\"" + response + "\", algorithm=MD5, qop=auth, nc=" + nc +
         ", cnonce=\"c0ffee\"";
}

}  // namespace

TEST_CASE("HTTP digest over the SIP users: success, wrong password, replay, expiry") {
  FixedClock clock;
  HttpDigest digest(
      DigestOptions{
          "example.test", {sip::DigestAlgorithm::Sha256, sip::DigestAlgorithm::Md5}, 300, 1024},
      users(), clock);
  const std::vector<std::string> challenges = digest.challenges(false);
  REQUIRE(challenges.size() == 2);
  CHECK(challenges[0].find("algorithm=SHA-256") != std::string::npos);
  const std::string& md5 = challenges[1];

  CHECK(
      std::holds_alternative<DigestChallenge>(digest.check("GET", "/xcap/x", "", "example.test")));
  const auto ok =
      digest.check("GET", "/xcap/x", authorization(md5, "secret", "00000001"), "example.test");
  REQUIRE(std::holds_alternative<DigestUser>(ok));
  CHECK(std::get<DigestUser>(ok).aor == "alice@example.test");

  // The same nc again is a replay: challenged, stale.
  const auto replay =
      digest.check("GET", "/xcap/x", authorization(md5, "secret", "00000001"), "example.test");
  REQUIRE(std::holds_alternative<DigestChallenge>(replay));
  CHECK(std::get<DigestChallenge>(replay).stale);
  CHECK(std::holds_alternative<DigestUser>(
      digest.check("GET", "/xcap/x", authorization(md5, "secret", "00000002"), "example.test")));

  // Credentials made for another resource do not open this one.
  CHECK(std::holds_alternative<DigestChallenge>(
      digest.check("GET", "/xcap/y", authorization(md5, "secret", "00000005"), "example.test")));
  // The credentials' uri is compared percent-decoded.
  CHECK(std::holds_alternative<DigestUser>(
      digest.check("GET", "/xcap/[x]", authorization(md5, "secret", "00000006", "/xcap/%5Bx%5D"),
                   "example.test")));

  const auto wrong =
      digest.check("GET", "/xcap/x", authorization(md5, "guess", "00000003"), "example.test");
  REQUIRE(std::holds_alternative<DigestChallenge>(wrong));
  CHECK(!std::get<DigestChallenge>(wrong).stale);

  // A forged nonce and a nonce past its lifetime.
  std::string forged = md5;
  forged.replace(forged.find("nonce=\"") + 7, 4, "ffff");
  CHECK(std::holds_alternative<DigestChallenge>(
      digest.check("GET", "/xcap/x", authorization(forged, "secret", "00000001"), "example.test")));
  clock.now_s += 301;
  const auto expired =
      digest.check("GET", "/xcap/x", authorization(md5, "secret", "00000004"), "example.test");
  REQUIRE(std::holds_alternative<DigestChallenge>(expired));
  CHECK(std::get<DigestChallenge>(expired).stale);
}

}  // namespace core::presence::xcap
