// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "proxy/routing/stateless_reply.h"

using proxy::routing::buildReplyFromRaw;

TEST_CASE("a request that did not parse is answered with its own Via, From, To, Call-ID, CSeq") {
  auto reply = buildReplyFromRaw(
      "INVITE sip:bob@example.test SIP/2.0\r\n"
      "v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1\r\n"
      "Via: SIP/2.0/UDP 192.0.2.9\r\n"
      " ;branch=z9hG4bK-2\r\n"
      "From: <sip:a@example.test>;tag=1\r\nTo: <sip:bob@example.test>\r\n"
      "i: abc\r\nCSeq: 1 INVITE\r\nContent-Length: 9999\r\n\r\nbody",
      400, "Content-Length larger than message");
  REQUIRE(reply);
  CHECK(reply->rfind("SIP/2.0 400 Content-Length larger than message\r\n", 0) == 0);
  CHECK(reply->find("Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1\r\n") != std::string::npos);
  CHECK(reply->find("Via: SIP/2.0/UDP 192.0.2.9 ;branch=z9hG4bK-2\r\n") != std::string::npos);
  CHECK(reply->find("Call-ID: abc\r\n") != std::string::npos);
  CHECK(reply->find("To: <sip:bob@example.test>;tag=") != std::string::npos);
  CHECK(reply->find("Content-Length: 0\r\n\r\n") != std::string::npos);
}

TEST_CASE("no Via, a response, or garbage gets no answer") {
  CHECK_FALSE(buildReplyFromRaw("INVITE sip:x SIP/2.0\r\nTo: <sip:x>\r\n\r\n", 400, "x"));
  CHECK_FALSE(buildReplyFromRaw("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\n\r\n", 400, "x"));
  CHECK_FALSE(buildReplyFromRaw(std::string_view("\0\1\2\3", 4), 400, "x"));
  CHECK_FALSE(buildReplyFromRaw("", 400, "x"));
}

TEST_CASE("the reason phrase is sanitized") {
  auto reply = buildReplyFromRaw("X sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n\r\n", 400,
                                 std::string_view("bad\r\nInjected: yes", 18));
  REQUIRE(reply);
  CHECK(reply->find("\r\nInjected") == std::string::npos);  // no header was smuggled in
  CHECK(reply->rfind("SIP/2.0 400 bad  Injected: yes\r\n", 0) == 0);
}
