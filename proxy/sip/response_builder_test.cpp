// SPDX-License-Identifier: Apache-2.0
#include "proxy/sip/sip_message.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace proxy::sip {
namespace {

Result<SipMessage> parseForTest(std::string_view text) { return SipMessage::parse(text); }

TEST_CASE("ResponseBuilder copies Via, From, To, Call-ID, CSeq and adds a To tag") {
  auto req = parseForTest("INVITE sip:bob@b.example.com SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP p2.example.com;branch=z9hG4bK2, "
                          "SIP/2.0/UDP p1.example.com;branch=z9hG4bK1\r\n"
                          "v: SIP/2.0/UDP ua.example.com;branch=z9hG4bK0;rport=5060\r\n"
                          "f: Alice <sip:alice@a.example.com>;tag=88\r\n"
                          "t: <sip:bob@b.example.com>\r\n"
                          "i: abc@a\r\nCSeq: 7 INVITE\r\nTimestamp: 54\r\n"
                          "Max-Forwards: 70\r\nl: 0\r\n\r\n");
  REQUIRE(req);
  const std::string wire = ResponseBuilder(*req, 486, "")
                               .toTag("t0")
                               .header("Retry-After", "30")
                               .body("text/plain", "busy")
                               .build();
  auto resp = parseForTest(wire);
  REQUIRE_MESSAGE(resp, wire);
  CHECK(resp->statusCode() == 486);
  CHECK(resp->reasonPhrase() == "Busy Here");
  const auto vias = resp->headers(HeaderName::Via);
  REQUIRE(vias.size() == 3);
  CHECK(vias[0] == "SIP/2.0/UDP p2.example.com;branch=z9hG4bK2");
  CHECK(vias[2] == "SIP/2.0/UDP ua.example.com;branch=z9hG4bK0;rport=5060");
  CHECK(resp->header(HeaderName::From) == "Alice <sip:alice@a.example.com>;tag=88");
  CHECK(resp->to()->tag() == "t0");
  CHECK(resp->callId() == "abc@a");
  CHECK(resp->header(HeaderName::CSeq) == "7 INVITE");
  CHECK(resp->header(HeaderName::RetryAfter) == "30");
  CHECK(resp->header(HeaderName::ContentType) == "text/plain");
  CHECK(resp->header(HeaderName::ContentLength) == "4");
  CHECK(resp->body() == "busy");
  CHECK_FALSE(resp->has(HeaderName::MaxForwards));
  CHECK_FALSE(resp->has(HeaderName::Timestamp));
  CHECK_FALSE(resp->has(HeaderName::Server));

  const std::string trying = ResponseBuilder(*req, 100, "").build();
  auto trying_msg = parseForTest(trying);
  REQUIRE(trying_msg);
  CHECK(trying_msg->reasonPhrase() == "Trying");
  CHECK(trying_msg->header(HeaderName::Timestamp) == "54");  // RFC 3261 §8.2.6.1
  CHECK(trying_msg->to()->tag().empty());
  CHECK(trying_msg->header(HeaderName::ContentLength) == "0");
}

TEST_CASE("ResponseBuilder keeps an existing To tag and a custom reason") {
  auto req = parseForTest("BYE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK9\r\n"
                          "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>;tag=2\r\n"
                          "Call-ID: c\r\nCSeq: 2 BYE\r\n\r\n");
  REQUIRE(req);
  auto resp = parseForTest(ResponseBuilder(*req, 200, "Fine").toTag("other").build());
  REQUIRE(resp);
  CHECK(resp->reasonPhrase() == "Fine");
  CHECK(resp->header(HeaderName::To) == "<sip:a@b>;tag=2");
}

TEST_CASE("ResponseBuilder keeps added lines in order, however many") {
  auto req = parseForTest(
      "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK9\r\n"
      "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\n"
      "Call-ID: c\r\nCSeq: 2 OPTIONS\r\n\r\n");
  REQUIRE(req);
  // Short lines first, then enough long ones to outgrow the builder's inline room.
  ResponseBuilder builder(*req, 200, "");
  std::vector<std::string> values;
  for (int i = 0; i < 12; ++i) {
    values.push_back(std::to_string(i) + std::string(static_cast<size_t>(i) * 9, 'v'));
    builder.header("X-Line", values.back());
  }
  const std::string wire = builder.body("text/plain", "ok").build();
  auto resp = parseForTest(wire);
  REQUIRE_MESSAGE(resp, wire);
  std::vector<std::string_view> got;
  for (const HeaderField& f : resp->fields()) {
    if (f.name == "X-Line") {
      got.push_back(f.value);
    }
  }
  REQUIRE(got.size() == values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    CHECK(got[i] == values[i]);
  }
  CHECK(resp->body() == "ok");
  CHECK(resp->header(HeaderName::ContentType) == "text/plain");
}

TEST_CASE("defaultReason covers the common codes") {
  CHECK(defaultReason(100) == "Trying");
  CHECK(defaultReason(180) == "Ringing");
  CHECK(defaultReason(200) == "OK");
  CHECK(defaultReason(202) == "Accepted");
  CHECK(defaultReason(400) == "Bad Request");
  CHECK(defaultReason(401) == "Unauthorized");
  CHECK(defaultReason(407) == "Proxy Authentication Required");
  CHECK(defaultReason(412) == "Conditional Request Failed");
  CHECK(defaultReason(416) == "Unsupported URI Scheme");
  CHECK(defaultReason(420) == "Bad Extension");
  CHECK(defaultReason(422) == "Session Interval Too Small");
  CHECK(defaultReason(423) == "Interval Too Brief");
  CHECK(defaultReason(430) == "Flow Failed");
  CHECK(defaultReason(439) == "First Hop Lacks Outbound Support");
  CHECK(defaultReason(481) == "Call/Transaction Does Not Exist");
  CHECK(defaultReason(483) == "Too Many Hops");
  CHECK(defaultReason(489) == "Bad Event");
  CHECK(defaultReason(501) == "Not Implemented");
  CHECK(defaultReason(503) == "Service Unavailable");
  CHECK(defaultReason(505) == "Version Not Supported");
  CHECK(defaultReason(513) == "Message Too Large");
  CHECK(defaultReason(603) == "Decline");
  CHECK(defaultReason(499) == "Client Error");
  CHECK(defaultReason(299) == "Successful");
  CHECK(defaultReason(0) == "Unknown");
  CHECK(defaultReason(1000) == "Unknown");
  CHECK(defaultReason(-5) == "Unknown");
}

}  // namespace
}  // namespace proxy::sip
