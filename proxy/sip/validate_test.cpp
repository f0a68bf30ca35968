// SPDX-License-Identifier: Apache-2.0
#include "proxy/sip/validate.h"

#include <doctest/doctest.h>

#include <string>

namespace proxy::sip {
namespace {

const std::string kGood =
    "REGISTER sip:example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP ua.example.com:5060;branch=z9hG4bKnashds7\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@example.com>\r\n"
    "From: Bob <sip:bob@example.com>;tag=456248\r\n"
    "Call-ID: 843817637684230@998sdasdh09\r\n"
    "CSeq: 1826 REGISTER\r\n"
    "Contact: <sip:bob@192.0.2.4>;expires=7200, *\r\n"
    "Expires: 7200\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

// kGood with the first occurrence of `from` replaced by `to`.
std::string edit(std::string_view from, std::string_view to) {
  std::string text = kGood;
  const size_t at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, from);
  text.replace(at, from.size(), to);
  return text;
}

// The validation error status (or 200 when the request is accepted).
int validateStatus(const std::string& text, std::string* detail = nullptr) {
  auto msg = SipMessage::parse(text);
  REQUIRE_MESSAGE(msg, text);
  auto r = validateRequest(*msg);
  if (detail != nullptr) {
    *detail = r ? "" : r.error().detail;
  }
  return r ? 200 : r.error().status;
}

TEST_CASE("a well-formed REGISTER validates") { CHECK(validateStatus(kGood) == 200); }

TEST_CASE("missing required headers are named in the reason") {
  for (auto [line, name] : {std::pair{"Via: SIP/2.0/UDP ua.example.com:5060;branch=z9hG4bKnashds7\r\n",
                                      "Via"},
                            std::pair{"To: Bob <sip:bob@example.com>\r\n", "To"},
                            std::pair{"From: Bob <sip:bob@example.com>;tag=456248\r\n", "From"},
                            std::pair{"Call-ID: 843817637684230@998sdasdh09\r\n", "Call-ID"},
                            std::pair{"CSeq: 1826 REGISTER\r\n", "CSeq"}}) {
    std::string detail;
    CHECK(validateStatus(edit(line, ""), &detail) == 400);
    CHECK(detail == std::string("Missing ") + name);
  }
  CHECK(validateStatus(edit("Max-Forwards: 70\r\n", "")) == 200);  // RFC 2543 peers
}

TEST_CASE("single-valued headers may appear once (RFC 4475 multi01)") {
  std::string detail;
  CHECK(validateStatus(edit("Call-ID: 8", "Call-ID: other\r\nCall-ID: 8"), &detail) == 400);
  CHECK(detail == "Multiple values in Call-ID");
  CHECK(validateStatus(edit("To: Bob", "t: <sip:x@y>\r\nTo: Bob")) == 400);
  CHECK(validateStatus(edit("Max-Forwards: 70", "Max-Forwards: 70\r\nMax-Forwards: 70")) == 400);
  CHECK(validateStatus(edit("Expires: 7200", "Expires: 7200\r\nExpires: 7200")) == 400);
  CHECK(validateStatus(edit("Content-Length: 0", "l: 0\r\nContent-Length: 0")) == 400);
  CHECK(validateStatus(edit("Expires: 7200", "Expires: 7200\r\nc: a/b\r\nContent-Type: a/b")) ==
        400);
}

TEST_CASE("CSeq: parsable, below 2**31, method matches") {
  CHECK(validateStatus(edit("CSeq: 1826 REGISTER", "CSeq: 2147483647 REGISTER")) == 200);
  CHECK(validateStatus(edit("CSeq: 1826 REGISTER", "CSeq: 2147483648 REGISTER")) == 400);
  CHECK(validateStatus(edit("CSeq: 1826 REGISTER", "CSeq: 36893488147419103232 REGISTER")) ==
        400);
  CHECK(validateStatus(edit("CSeq: 1826 REGISTER", "CSeq: REGISTER")) == 400);
  CHECK(validateStatus(edit("CSeq: 1826 REGISTER", "CSeq: 1826 INVITE")) == 400);
  CHECK(validateStatus(edit("CSeq: 1826 REGISTER", "CSeq: 1826 register")) == 400);
  // RFC 4475 mismatch02: an unknown method whose CSeq names another method.
  std::string unknown = edit("REGISTER sip:example.com", "NEWMETHOD sip:example.com");
  CHECK(validateStatus(unknown) == 501);
  unknown.replace(unknown.find("1826 REGISTER"), 13, "1826 NEWMETHOD");
  CHECK(validateStatus(unknown) == 200);
}

TEST_CASE("Request-URI scheme and form") {
  CHECK(validateStatus(edit("sip:example.com SIP", "sips:example.com SIP")) == 200);
  CHECK(validateStatus(edit("sip:example.com SIP", "tel:+15551234 SIP")) == 200);
  CHECK(validateStatus(edit("sip:example.com SIP", "mailto:bob@example.com SIP")) == 416);
  CHECK(validateStatus(edit("sip:example.com SIP", "soap.beep://192.0.2.103:3002 SIP")) == 416);
  CHECK(validateStatus(edit("sip:example.com SIP", "sip:example.com?Route=%3Csip:x%3E SIP")) ==
        400);  // RFC 4475 escruri
  CHECK(validateStatus(edit("sip:example.com SIP", "sip:exa%mple.com SIP")) == 400);
  CHECK(validateStatus(edit("sip:example.com SIP", "sip:user@ SIP")) == 400);
}

TEST_CASE("From and To must parse") {
  CHECK(validateStatus(edit("To: Bob <sip:bob@example.com>", "To: \"Bob <sip:bob@example.com>")) ==
        400);  // quotbal
  std::string detail;
  CHECK(validateStatus(edit("From: Bob", "From: Bob, Jr."), &detail) == 400);  // baddn
  CHECK(detail.rfind("Malformed From", 0) == 0);
  CHECK(validateStatus(edit("To: Bob <sip:bob@example.com>", "To: < sip:bob@example.com >")) ==
        400);  // badaspec
  CHECK(validateStatus(edit("To: Bob <sip:bob@example.com>", "To: isbn:2983792873")) == 200);
}

TEST_CASE("top Via must parse and carry a real branch") {
  CHECK(validateStatus(edit("branch=z9hG4bKnashds7", "branch=z9hG4bK")) == 400);  // badbranch
  CHECK(validateStatus(edit(";branch=z9hG4bKnashds7", "")) == 200);  // RFC 2543 style
  CHECK(validateStatus(edit("SIP/2.0/UDP ua.example.com:5060", "SIP/2.0/UDP")) == 400);
  CHECK(validateStatus(edit("ua.example.com:5060", "ua.example.com:70000")) == 400);
}

TEST_CASE("Max-Forwards and Expires are bounded decimals (RFC 4475 scalar02)") {
  CHECK(validateStatus(edit("Max-Forwards: 70", "Max-Forwards: 255")) == 200);
  CHECK(validateStatus(edit("Max-Forwards: 70", "Max-Forwards: 0")) == 200);  // 483 is routing's
  CHECK(validateStatus(edit("Max-Forwards: 70", "Max-Forwards: 256")) == 400);
  CHECK(validateStatus(edit("Max-Forwards: 70", "Max-Forwards: seventy")) == 400);
  CHECK(validateStatus(edit("Max-Forwards: 70", "Max-Forwards: -1")) == 400);
  CHECK(validateStatus(edit("Expires: 7200", "Expires: 4294967295")) == 200);
  CHECK(validateStatus(edit("Expires: 7200", "Expires: 4294967296")) == 400);
  CHECK(validateStatus(edit("Expires: 7200", "Expires: 10000000000000000000000000000")) == 400);
  CHECK(validateStatus(edit("Expires: 7200", "Expires: soon")) == 400);
}

TEST_CASE("Contact values must parse (RFC 4475 regbadct)") {
  CHECK(validateStatus(edit("<sip:bob@192.0.2.4>;expires=7200",
                            "sip:user@example.com?Route=%3Csip:sip.example.com%3E")) == 400);
  CHECK(validateStatus(edit("<sip:bob@192.0.2.4>;expires=7200", "<sip:bob@192.0.2.4>;;")) == 400);
  CHECK(validateStatus(edit("<sip:bob@192.0.2.4>;expires=7200", "<name:John_Smith>")) == 200);
}

TEST_CASE("responses and requests are not mixed up") {
  auto req = SipMessage::parse(kGood);
  REQUIRE(req);
  auto not_response = validateResponse(*req);
  REQUIRE_FALSE(not_response);
  CHECK(not_response.error().status == 0);

  auto resp = SipMessage::parse(ResponseBuilder(*req, 200, "").toTag("x").build());
  REQUIRE(resp);
  CHECK(validateResponse(*resp));
  auto not_request = validateRequest(*resp);
  REQUIRE_FALSE(not_request);
  CHECK(not_request.error().status == 0);
}

TEST_CASE("bad responses are dropped (status 0, RFC 4475 scalarlg)") {
  const std::string good =
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:a@b>;tag=1\r\n"
      "From: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n";
  auto check = [](const std::string& text) {
    auto msg = SipMessage::parse(text);
    REQUIRE(msg);
    auto r = validateResponse(*msg);
    return r ? 200 : r.error().status;
  };
  CHECK(check(good) == 200);
  std::string big_cseq = good;
  big_cseq.replace(big_cseq.find("1 OPTIONS"), 1, "9292394834772304023312");
  CHECK(check(big_cseq) == 0);
  std::string no_via = good;
  no_via.erase(no_via.find("Via:"), no_via.find("To:") - no_via.find("Via:"));
  CHECK(check(no_via) == 0);
  std::string bad_to = good;
  bad_to.replace(bad_to.find("<sip:a@b>"), 9, "\"open <sip:a@b>");
  CHECK(check(bad_to) == 0);
}

TEST_CASE("unsupportedRequires lists unknown Require and Proxy-Require tags (RFC 4475 bext01)") {
  auto msg = SipMessage::parse(edit("Expires: 7200\r\n",
                                    "Expires: 7200\r\n"
                                    "Require: nothingSupportsThis, path\r\n"
                                    "Require: nothingSupportsThis\r\n"
                                    "Proxy-Require: noProxiesSupportThis,\r\n GRUU\r\n"));
  REQUIRE(msg);
  CHECK(unsupportedRequires(*msg, {"path", "gruu"}) ==
        std::vector<std::string_view>{"nothingSupportsThis", "noProxiesSupportThis"});
  CHECK(unsupportedRequires(*msg, {}).size() == 4);
  const std::vector<std::string_view> supported = {"nothingsupportsthis", "PATH",
                                                   "noproxiessupportthis", "gruu"};
  CHECK(unsupportedRequires(*msg, std::span<const std::string_view>(supported)).empty());

  auto plain = SipMessage::parse(kGood);
  REQUIRE(plain);
  CHECK(unsupportedRequires(*plain, {}).empty());
}

TEST_CASE("ACK and CANCEL ignore Require (RFC 3261 §8.2.2.3)") {
  for (std::string_view method : {"ACK", "CANCEL"}) {
    std::string text =
        "X sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nRequire: foo\r\n\r\n";
    text.replace(0, 1, method);
    auto msg = SipMessage::parse(text);
    REQUIRE(msg);
    CHECK(unsupportedRequires(*msg, {}).empty());
  }
}

}  // namespace
}  // namespace proxy::sip
