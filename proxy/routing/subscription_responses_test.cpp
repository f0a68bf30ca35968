// SPDX-License-Identifier: Apache-2.0
// The request-free helpers of subscription_responses.h; the answers themselves
// need a router and are covered by the presence and IM integration tests.
#include <doctest/doctest.h>

#include "proxy/routing/subscription_responses.h"

using namespace proxy;
using namespace proxy::routing;

namespace {

std::string subscribeWithContact(std::string_view contact_line) {
  std::string text =
      "SUBSCRIBE sip:im-conf-1@example.test SIP/2.0\r\n"
      "Via: SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bK1\r\n"
      "From: <sip:bob@example.test>;tag=b1\r\n"
      "To: <sip:im-conf-1@example.test>;tag=f1\r\n"
      "Call-ID: c1\r\n"
      "CSeq: 2 SUBSCRIBE\r\n";
  text.append(contact_line);
  text.append("Content-Length: 0\r\n\r\n");
  return text;
}

}  // namespace

TEST_CASE("subscription: our Contact names the flow's address, or the listener for wildcards") {
  LocalAddresses us;
  us.addDomain("example.test");
  us.addListener(transport::Protocol::Tcp, "127.0.0.1", 5070);
  transport::Flow flow;
  flow.protocol = transport::Protocol::Tcp;
  flow.local = *transport::Address::fromIpPort("127.0.0.1", 5070);
  CHECK(notifierContact("im-conf-1", flow, us, 3) ==
        "<sip:im-conf-1@127.0.0.1:5070;transport=tcp;sh=3>");
  flow.local = *transport::Address::fromIpPort("0.0.0.0", 5070);
  CHECK(notifierContact("bob", flow, us, 0) == "<sip:bob@127.0.0.1:5070;transport=tcp;sh=0>");
  flow.local = transport::Address();  // unknown (a datagram without a local address)
  CHECK(notifierContact("bob", flow, us, 1) == "<sip:bob@127.0.0.1:5070;transport=tcp;sh=1>");
}

TEST_CASE("subscription: a refresh's new target is its Contact URI, never a wildcard") {
  auto with = sip::SipMessage::parse(
      subscribeWithContact("Contact: <sip:bob@192.0.2.7:5080;transport=tcp>\r\n"));
  REQUIRE(with);
  CHECK(refreshedTarget(*with) == "sip:bob@192.0.2.7:5080;transport=tcp");
  auto without = sip::SipMessage::parse(subscribeWithContact(""));
  REQUIRE(without);
  CHECK(refreshedTarget(*without).empty());
  auto wildcard = sip::SipMessage::parse(subscribeWithContact("Contact: *\r\n"));
  REQUIRE(wildcard);
  CHECK(refreshedTarget(*wildcard).empty());
}
