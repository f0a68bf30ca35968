// SPDX-License-Identifier: Apache-2.0
// Topology hiding and dialect stripping for messages leaving for a peer.
#include <doctest/doctest.h>

#include <string>

#include "proxy/federation/topology.h"

namespace proxy::federation {
namespace {

routing::LocalAddresses localAddresses() {
  routing::LocalAddresses us;
  us.addDomain("a.test");
  us.addListener(transport::Protocol::Tcp, "192.0.2.10", 5060);
  us.addListener(transport::Protocol::Tls, "192.0.2.10", 5061);
  return us;
}

sip::SipMessage parse(const std::string& text) {
  auto parsed = sip::SipMessage::parse(text);
  REQUIRE(parsed);
  return std::move(*parsed);
}

const char* kInvite =
    "INVITE sip:zoe@b.test SIP/2.0\r\n"
    "Via: SIP/2.0/TCP 10.1.0.5:5062;branch=z9hG4bK-inner\r\n"
    "Via: SIP/2.0/TCP 10.1.0.9:5099;branch=z9hG4bK-client\r\n"
    "From: \"Alice\" <sip:alice@a.test>;tag=f1\r\n"
    "To: <sip:zoe@b.test>\r\n"
    "Call-ID: c1\r\n"
    "CSeq: 1 INVITE\r\n"
    "Max-Forwards: 69\r\n"
    "Contact: \"Alice\" <sip:alice@10.1.0.9:5099;transport=tcp>;+sip.instance=\"<urn:x>\"\r\n"
    "Proxy-Authorization: Digest username=\"alice\", realm=\"a.test\", nonce=\"n\"\r\n"
    "Authorization: Digest username=\"alice\", realm=\"b.test\", nonce=\"m\"\r\n"
    "Ms-Conversation-ID: abc\r\n"
    "ms-keep-alive: UAC;hop-hop=yes\r\n"
    "X-MS-Something: 1\r\n"
    "Supported: timer, ms-benotify, ms-sender\r\n"
    "Proxy-Require: ms-benotify\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 5\r\n"
    "\r\n"
    "hello";

}  // namespace

TEST_CASE("contact: encoded behind our edge address and decoded back") {
  routing::LocalAddresses us = localAddresses();
  auto encoded = encodeContact("\"A\" <sip:alice@10.1.0.9:5099;transport=tcp>;expires=60", us,
                               transport::Protocol::Tls);
  REQUIRE(encoded);
  CHECK(encoded->starts_with("\"A\" <sip:alice@192.0.2.10:5061;transport=tls;fc="));
  CHECK(encoded->ends_with(">;expires=60"));
  CHECK(encoded->find("10.1.0.9") == std::string::npos);
  auto back = sip::NameAddr::parse(*encoded);
  REQUIRE(back);
  auto decoded = decodeContactUri(back->uri(), us);
  REQUIRE(decoded);
  CHECK(*decoded == "sip:alice@10.1.0.9:5099;transport=tcp");
  // Already ours (our services' Contacts): unchanged.
  CHECK_FALSE(encodeContact("<sip:presence@192.0.2.10:5060;sh=1>", us, transport::Protocol::Tcp));
  CHECK_FALSE(encodeContact("*", us, transport::Protocol::Tcp));
  // Only our own addresses decode, and only valid hex of a URI.
  auto foreign = sip::Uri::parse("sip:alice@198.51.100.1:5060;fc=7369703a78");
  REQUIRE(foreign);
  CHECK_FALSE(decodeContactUri(*foreign, us));
  auto garbage = sip::Uri::parse("sip:alice@192.0.2.10:5060;fc=zz");
  REQUIRE(garbage);
  CHECK_FALSE(decodeContactUri(*garbage, us));
}

TEST_CASE("rewrite: a standard peer sees our edge only, no ms-* headers, no credentials of ours") {
  routing::LocalAddresses us = localAddresses();
  sip::SipMessage m = parse(kInvite);
  PeerRewrite how;
  how.us = &us;
  how.realm = "a.test";
  how.protocol = transport::Protocol::Tcp;
  rewriteForPeer(m, how);
  std::string out = m.serialize();
  CHECK_FALSE(m.has(sip::HeaderName::Via));
  CHECK(out.find("10.1.0.") == std::string::npos);
  CHECK(out.find("Contact: \"Alice\" <sip:alice@192.0.2.10:5060;transport=tcp;fc=") !=
        std::string::npos);
  CHECK(out.find("+sip.instance=\"<urn:x>\"") != std::string::npos);
  CHECK_FALSE(m.has(sip::HeaderName::ProxyAuthorization));
  CHECK(m.header(sip::HeaderName::Authorization).find("b.test") != std::string_view::npos);
  CHECK(m.header("Ms-Conversation-ID").empty());
  CHECK_FALSE(m.has(sip::HeaderName::MsKeepAlive));
  CHECK(m.header("X-MS-Something").empty());
  CHECK(m.header(sip::HeaderName::Supported) == "timer");
  CHECK_FALSE(m.has(sip::HeaderName::ProxyRequire));
  CHECK(m.body() == "hello");
  CHECK(m.header(sip::HeaderName::From) == "\"Alice\" <sip:alice@a.test>;tag=f1");
}

TEST_CASE("rewrite: a microsoft peer keeps its dialect; without hiding Vias and Contact stay") {
  routing::LocalAddresses us = localAddresses();
  sip::SipMessage m = parse(kInvite);
  PeerRewrite how;
  how.us = &us;
  how.realm = "a.test";
  how.dialect = config::PeerDialect::Microsoft;
  how.hide_topology = false;
  rewriteForPeer(m, how);
  CHECK(m.count(sip::HeaderName::Via) == 2);
  CHECK(m.header(sip::HeaderName::Contact).find("10.1.0.9") != std::string_view::npos);
  CHECK(m.header("Ms-Conversation-ID") == "abc");
  CHECK(m.header(sip::HeaderName::ProxyRequire) == "ms-benotify");
  CHECK_FALSE(m.has(sip::HeaderName::ProxyAuthorization));  // never our credentials
}

TEST_CASE("rewrite: responses keep their Vias; the Contact is hidden") {
  routing::LocalAddresses us = localAddresses();
  sip::SipMessage m = parse(
      "SIP/2.0 200 OK\r\n"
      "Via: SIP/2.0/TCP 203.0.113.5:5060;branch=z9hG4bK-peer\r\n"
      "From: <sip:zoe@b.test>;tag=f1\r\n"
      "To: <sip:alice@a.test>;tag=t1\r\n"
      "Call-ID: c1\r\n"
      "CSeq: 1 INVITE\r\n"
      "Contact: <sip:alice@10.1.0.9:5099;transport=tcp>\r\n"
      "Content-Length: 0\r\n\r\n");
  PeerRewrite how;
  how.us = &us;
  how.realm = "a.test";
  rewriteForPeer(m, how);
  CHECK(m.statusCode() == 200);
  CHECK(m.reasonPhrase() == "OK");
  CHECK(m.count(sip::HeaderName::Via) == 1);
  CHECK(m.header(sip::HeaderName::Contact).find("10.1.0.9") == std::string_view::npos);
}

TEST_CASE("rewrite: edits in place; fields keep their order, nothing else changes") {
  routing::LocalAddresses us = localAddresses();
  sip::SipMessage m = parse(
      "MESSAGE sip:zoe@b.test SIP/2.0\r\n"
      "Via: SIP/2.0/TCP 10.1.0.9:5099;branch=z9hG4bK-client\r\n"
      "From: <sip:alice@a.test>;tag=f1\r\n"
      "To: <sip:zoe@b.test>\r\n"
      "Call-ID: c1\r\n"
      "CSeq: 1 MESSAGE\r\n"
      "X-First: 1\r\n"
      "Contact: <sip:alice@10.1.0.9:5099>, <sip:alice@192.0.2.10:5060;sh=1>\r\n"
      "Ms-Client-Diagnostics: 1; reason=x\r\n"
      "Supported: ms-benotify, timer\r\n"
      "X-Second: 2\r\n"
      "Require: ms-sender\r\n"
      "X-First: 3\r\n"
      "Content-Type: text/plain\r\n"
      "Content-Length: 2\r\n"
      "\r\n"
      "hi");
  PeerRewrite how;
  how.us = &us;
  how.realm = "a.test";
  rewriteForPeer(m, how);
  std::string out = m.serialize();
  // Both Contacts stay, in order: the foreign one encoded, ours as it was.
  auto contacts = m.headers(sip::HeaderName::Contact);
  REQUIRE(contacts.size() == 2);
  CHECK(contacts[0].starts_with("<sip:alice@192.0.2.10:5060;transport=tcp;fc="));
  CHECK(contacts[1] == "<sip:alice@192.0.2.10:5060;sh=1>");
  CHECK(out.find("Contact: ") < out.find("Supported: timer\r\n"));
  CHECK(out.find("Supported: timer\r\n") < out.find("Content-Type"));
  CHECK_FALSE(m.has(sip::HeaderName::Require));
  CHECK(m.header("Ms-Client-Diagnostics").empty());
  // The other extension headers stay, same-named ones in their order.
  CHECK(out.find("X-First: 1\r\n") < out.find("X-First: 3\r\n"));
  CHECK(out.find("X-Second: 2\r\n") != std::string::npos);
  CHECK(out.ends_with("Content-Length: 2\r\n\r\nhi"));
  // What the peer gets parses back to the same message.
  auto again = sip::SipMessage::parse(out);
  REQUIRE(again);
  CHECK(again->serialize() == out);

  // Nothing to hide or strip (a Microsoft peer, no topology hiding, a response):
  // the message is left exactly as it was.
  sip::SipMessage plain = parse(kInvite);
  std::string before = plain.serialize();
  PeerRewrite keep;
  keep.us = &us;
  keep.realm = "elsewhere.test";
  keep.dialect = config::PeerDialect::Microsoft;
  keep.hide_topology = false;
  rewriteForPeer(plain, keep);
  CHECK(plain.serialize() == before);
}

}  // namespace proxy::federation
