// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "proxy/routing/record_route.h"

using namespace proxy;
using namespace proxy::routing;

namespace {
LocalAddresses ours() {
  LocalAddresses us;
  us.addDomain("example.test");
  us.addListener(transport::Protocol::Udp, "127.0.0.1", 5060);
  us.addListener(transport::Protocol::Tcp, "127.0.0.1", 5060);
  return us;
}
transport::Flow tcpFlow(uint64_t conn, uint16_t port) {
  transport::Flow f;
  f.protocol = transport::Protocol::Tcp;
  f.connection_id = conn;
  f.remote = *transport::Address::fromIpPort("127.0.0.1", port);
  return f;
}
}  // namespace

TEST_CASE("hex round trip and rejection of bad hex") {
  CHECK(hexDecode(hexEncode("tcp/0/7/127.0.0.1:5")) == "tcp/0/7/127.0.0.1:5");
  CHECK_FALSE(hexDecode("abc"));
  CHECK_FALSE(hexDecode("zz"));
}

TEST_CASE("our Record-Route is recognised in a Route and leads to the other side") {
  LocalAddresses us = ours();
  transport::Flow caller = tcpFlow(11, 40000);
  transport::Flow callee = tcpFlow(22, 40001);
  std::string rr = makeRecordRouteFor(transport::Protocol::Tcp, us, caller.token(), callee.token());
  CHECK(rr.rfind("<sip:127.0.0.1:5060;transport=tcp;lr;cf=", 0) == 0);
  auto own = parseOwnRoute(rr, us);
  REQUIRE(own);
  CHECK(own->signed_ok);
  auto to_callee = otherSide(caller, *own);
  REQUIRE(to_callee.from_participant);
  REQUIRE(to_callee.flow);
  CHECK(to_callee.flow->connection_id == 22);
  auto to_caller = otherSide(callee, *own);
  REQUIRE(to_caller.flow);
  CHECK(to_caller.flow->connection_id == 11);
  CHECK_FALSE(otherSide(tcpFlow(33, 1), *own).from_participant);
}

TEST_CASE("a Route with forged or tampered tokens gets no flow") {
  LocalAddresses us = ours();
  transport::Flow mallory = tcpFlow(44, 50000);
  transport::Flow victim = tcpFlow(55, 50001);
  // Tokens written by hand, without our signature.
  std::string forged = "<sip:127.0.0.1:5060;transport=tcp;lr;cf=" + hexEncode(mallory.token()) +
                       ";ef=" + hexEncode(victim.token()) + ">";
  auto own = parseOwnRoute(forged, us);
  REQUIRE(own);
  CHECK_FALSE(own->signed_ok);
  CHECK_FALSE(otherSide(mallory, *own).from_participant);
  // A genuine route whose callee token was swapped keeps its old signature: refused.
  std::string genuine = makeRecordRouteFor(transport::Protocol::Tcp, us, mallory.token(), "");
  std::string tampered = genuine;
  tampered.insert(tampered.find(";fs="), ";ef=" + hexEncode(victim.token()));
  auto t = parseOwnRoute(tampered, us);
  REQUIRE(t);
  CHECK_FALSE(t->signed_ok);
}

TEST_CASE("a Route to someone else is not ours") {
  LocalAddresses us = ours();
  CHECK_FALSE(parseOwnRoute("<sip:192.0.2.1:5060;lr>", us));
  CHECK_FALSE(parseOwnRoute("<sip:127.0.0.1:5999;lr>", us));
  CHECK(parseOwnRoute("<sip:example.test;lr>", us));
  CHECK_FALSE(parseOwnRoute("garbage<<", us));
}

TEST_CASE("sealed text round-trips, hides its content and refuses any change") {
  const std::string plain = "tcp/0/7/127.0.0.11:40000";
  std::string a = sealText(plain);
  std::string b = sealText(plain);
  CHECK(a != b);  // a fresh IV each time
  CHECK(a.find("127.0.0.11") == std::string::npos);
  CHECK(a.find(hexEncode("127.0.0.11")) == std::string::npos);
  CHECK(openText(a) == plain);
  CHECK(openText(sealText("")) == std::string());
  std::string flipped = a;
  flipped[30] = flipped[30] == '0' ? '1' : '0';  // a ciphertext nibble
  CHECK_FALSE(openText(flipped));
  CHECK_FALSE(openText(a.substr(0, a.size() - 2)));  // a cut tag
  CHECK_FALSE(openText("zz"));
  CHECK_FALSE(openText(""));
}
