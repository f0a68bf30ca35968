// SPDX-License-Identifier: Apache-2.0
#include "proxy/sip/sip_message.h"

#include <doctest/doctest.h>

#include <cstring>
#include <string>

namespace proxy::sip {
namespace {

Result<SipMessage> parseForTest(std::string_view text, const ParseLimits& limits = {}) {
  return SipMessage::parse(text, limits);
}

int parseStatus(std::string_view text, const ParseLimits& limits = {}) {
  auto msg = parseForTest(text, limits);
  return msg ? 200 : msg.error().status;
}

constexpr std::string_view kInvite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9\r\n"
    "Max-Forwards: 70\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:alice@client.atlanta.example.com;transport=tcp>\r\n"
    "X-Custom: one\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 5\r\n"
    "\r\n"
    "hello";

TEST_CASE("compact header names read as their long forms") {
  auto msg = parseForTest(
      "MESSAGE sip:bob@example.org SIP/2.0\r\n"
      "v: SIP/2.0/UDP h.example.com;branch=z9hG4bK-1-a\r\n"
      "f: <sip:alice@example.com>;tag=1\r\n"
      "t: <sip:bob@example.org>\r\n"
      "i: c1\r\nCSeq: 1 MESSAGE\r\nl: 0\r\n\r\n");
  REQUIRE(msg);
  CHECK(msg->header(HeaderName::Via) == "SIP/2.0/UDP h.example.com;branch=z9hG4bK-1-a");
  CHECK_FALSE(msg->maxForwards().has_value());  // absent is not an error
  CHECK(msg->callId() == "c1");
  CHECK(msg->header(HeaderName::From) == "<sip:alice@example.com>;tag=1");
  CHECK(msg->header(HeaderName::To) == "<sip:bob@example.org>");
  CHECK(msg->header("content-length") == "0");
  CHECK(msg->header("L") == "0");
  CHECK(msg->fields()[0].name == "v");  // received spelling is kept
}

TEST_CASE("request line, headers and body") {
  auto msg = parseForTest(kInvite);
  REQUIRE(msg);
  CHECK(msg->isRequest());
  CHECK(msg->method() == Method::Invite);
  CHECK(msg->methodText() == "INVITE");
  CHECK(msg->requestUri() == "sip:bob@biloxi.example.com");
  CHECK(msg->version() == "SIP/2.0");
  CHECK(msg->fields().size() == 10);
  CHECK(msg->body() == "hello");
  CHECK(msg->header("x-custom") == "one");
  CHECK(msg->header("X-Missing").empty());
  CHECK(msg->header(HeaderName::Other).empty());
  CHECK(msg->has(HeaderName::Contact));
  CHECK_FALSE(msg->has(HeaderName::Route));
  CHECK(msg->maxForwards() == 70u);
  CHECK_FALSE(msg->expires().has_value());
  auto from = msg->from();
  REQUIRE(from);
  CHECK(from->displayName() == "Alice");
  CHECK(from->tag() == "9fxced76sl");
  auto to = msg->to();
  REQUIRE(to);
  CHECK(to->tag().empty());
  auto cseq = msg->cseq();
  REQUIRE(cseq);
  CHECK(cseq->number == 1);
  CHECK(cseq->method == "INVITE");
  auto via = msg->topVia();
  REQUIRE(via);
  CHECK(via->branch() == "z9hG4bK74bf9");
  CHECK(via->port() == 5060);
}

TEST_CASE("status lines") {
  auto ok = parseForTest("SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  REQUIRE(ok);
  CHECK(ok->isResponse());
  CHECK(ok->statusCode() == 200);
  CHECK(ok->reasonPhrase() == "OK");
  auto spaces = parseForTest("SIP/2.0 404 Not  Found here\r\n\r\n");
  REQUIRE(spaces);
  CHECK(spaces->reasonPhrase() == "Not  Found here");
  auto empty_reason = parseForTest("SIP/2.0 100 \r\n\r\n");  // RFC 4475 noreason
  REQUIRE(empty_reason);
  CHECK(empty_reason->reasonPhrase().empty());
  auto no_reason = parseForTest("SIP/2.0 180\r\n\r\n");
  REQUIRE(no_reason);
  CHECK(no_reason->statusCode() == 180);
  CHECK(parseForTest("sip/2.0 699 Whatever\r\n\r\n"));
}

TEST_CASE("bad status lines are unanswerable (status 0)") {
  for (std::string_view bad :
       {"SIP/2.0 4294967301 better not break the receiver\r\n\r\n", "SIP/2.0 099 Low\r\n\r\n",
        "SIP/2.0 700 High\r\n\r\n", "SIP/2.0 20 OK\r\n\r\n", "SIP/2.0 200OK\r\n\r\n",
        "SIP/2.0 2x0 OK\r\n\r\n", "SIP/3.0 200 OK\r\n\r\n", "SIP/2.0\r\n\r\n",
        "SIP/2.0  200 OK\r\n\r\n", "SIP/2.0 200 OK\r\nBad Header\r\n\r\n",
        "SIP/2.0 200 OK\r\nContent-Length: 10\r\n\r\nshort", "SIP/2.0 200 OK\r\nA: b\r\n"}) {
    CHECK_MESSAGE(parseStatus(bad) == 0, bad);
  }
}

TEST_CASE("request-line errors (RFC 3261 §7.1, RFC 4475 §3.1.2)") {
  const std::string rest = "\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n";
  CHECK(parseStatus("INVITE  sip:user@example.com  SIP/2.0" + rest) == 400);    // lwsstart
  CHECK(parseStatus("OPTIONS sip:r@example.com SIP/2.0  " + rest) == 400);      // trws
  CHECK(parseStatus("INVITE sip:user@example.com; lr SIP/2.0" + rest) == 400);  // lwsruri
  CHECK(parseStatus("INVITE <sip:user@example.com> SIP/2.0" + rest) == 400);    // ltgtruri
  CHECK(parseStatus("INVITE sip:user@example.com SIP/2.0\t" + rest) == 400);
  CHECK(parseStatus("INVITE sip: SIP/2.0" + rest) == 400);
  CHECK(parseStatus("INVITE user@example.com SIP/2.0" + rest) == 400);
  CHECK(parseStatus("OPTIONS sip:t.watson@example.org SIP/7.0" + rest) == 505);  // badvers
  CHECK(parseStatus("OPTIONS sip:t.watson@example.org SIP/2.1" + rest) == 505);
  CHECK(parseStatus("GET / HTTP/1.1" + rest) == 0);
  CHECK(parseStatus("INVITE" + rest) == 0);
  CHECK(parseStatus("INVITE sip:a@b" + rest) == 0);
  CHECK(parseStatus("IN<VITE sip:a@b SIP/2.0" + rest) == 0);
  CHECK(parseStatus("") == 0);
  CHECK(parseStatus("\r\n\r\n") == 0);
  CHECK(parseStatus("INVITE sip:a@b SIP/2.0") == 0);            // no line end at all
  CHECK(parseStatus("OPTIONS sip:a@b sip/2.0" + rest) == 200);  // version is case-insensitive
}

TEST_CASE("folded lines are unfolded in place") {
  auto msg = parseForTest(
      "OPTIONS sip:a@b SIP/2.0\r\n"
      "Subject: first\r\n second\r\n\tthird\r\n"
      "cseq: 0009\r\n  OPTIONS\r\n"
      "NewFangledHeader:   newfangled value\r\n continued newfangled value\r\n"
      "\r\n");
  REQUIRE(msg);
  CHECK(msg->header(HeaderName::Subject) == "first   second  \tthird");
  CHECK(msg->header("NewFangledHeader") == "newfangled value   continued newfangled value");
  auto cseq = msg->cseq();
  REQUIRE(cseq);
  CHECK(cseq->number == 9);
  CHECK(msg->raw().find("first\r\n") == std::string_view::npos);
}

TEST_CASE("bare LF line ends and leading CRLFs are tolerated") {
  auto msg = parseForTest(
      "\r\n\r\nOPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h\n"
      "Subject: x\n y\nl: 2\n\nhi");
  REQUIRE(msg);
  CHECK(msg->header(HeaderName::Subject) == "x  y");
  CHECK(msg->body() == "hi");
}

TEST_CASE("list headers split on commas outside quotes and <>") {
  auto msg = parseForTest(
      "REGISTER sip:example.com SIP/2.0\r\n"
      "Contact: \"Doe, John\" <sip:j@example.com;x=1>;methods=\"INVITE, MESSAGE\", "
      "<sip:k@example.com> ,sip:l@example.com;q=0.1\r\n"
      "Route: <sip:p1.example.com;lr>,<sip:p2.example.com;lr>\r\n"
      "Via: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2\r\n"
      "Via: SIP/2.0/UDP c\r\n"
      "Supported: path, gruu\r\n"
      "From: \"A, B\" <sip:a@b>;tag=1\r\n"
      "Subject: not, a, list\r\n\r\n");
  REQUIRE(msg);
  const auto contacts = msg->headers(HeaderName::Contact);
  REQUIRE(contacts.size() == 3);
  CHECK(contacts[0] == "\"Doe, John\" <sip:j@example.com;x=1>;methods=\"INVITE, MESSAGE\"");
  CHECK(contacts[1] == "<sip:k@example.com>");
  CHECK(contacts[2] == "sip:l@example.com;q=0.1");
  CHECK(msg->count(HeaderName::Route) == 2);
  const auto vias = msg->headers(HeaderName::Via);
  REQUIRE(vias.size() == 3);
  CHECK(vias[0] == "SIP/2.0/UDP a;branch=z9hG4bK1");
  CHECK(vias[1] == "SIP/2.0/UDP b;branch=z9hG4bK2");
  CHECK(vias[2] == "SIP/2.0/UDP c");
  CHECK(msg->count(HeaderName::Supported) == 1);  // option-tag lists are not split
  CHECK(msg->tokens(HeaderName::Supported) == std::vector<std::string_view>{"path", "gruu"});
  CHECK(msg->count(HeaderName::From) == 1);
  CHECK(msg->header(HeaderName::Subject) == "not, a, list");
}

TEST_CASE("empty values: allowed for a header, not as a list element") {
  auto msg = parseForTest("OPTIONS sip:a@b SIP/2.0\r\ns :\r\nSubject:\r\nSupported:\r\n\r\n");
  REQUIRE(msg);
  CHECK(msg->count(HeaderName::Subject) == 2);
  CHECK(msg->header(HeaderName::Subject).empty());
  CHECK(msg->count(HeaderName::Supported) == 1);
  CHECK(msg->tokens(HeaderName::Supported).empty());
  CHECK(parseStatus("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.15;;,;,,\r\n\r\n") == 400);
  CHECK(parseStatus("OPTIONS sip:a@b SIP/2.0\r\nRoute: <sip:a>,,<sip:b>\r\n\r\n") == 400);
}

TEST_CASE("malformed header lines are 400") {
  for (std::string_view bad :
       {"Bad Header: x", ": novalue", "NoColon", " leading: ws", "Na(me: x", "Name\r: x"}) {
    const std::string text = "OPTIONS sip:a@b SIP/2.0\r\n" + std::string(bad) + "\r\n\r\n";
    CHECK_MESSAGE(parseStatus(text) == 400, bad);
  }
  CHECK(parseStatus("OPTIONS sip:a@b SIP/2.0\r\nContent-Length   : 0\r\n\r\n") == 200);
  CHECK(parseStatus("OPTIONS sip:a@b SIP/2.0\r\nextensionHeader-!.%*+_`'~:\xef\xbb\xbf\r\n\r\n") ==
        200);
}

TEST_CASE("headers must end with an empty line (RFC 4475 baddn)") {
  auto msg = parseForTest("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nl: 0\r\n");
  REQUIRE_FALSE(msg);
  CHECK(msg.error().status == 400);
  CHECK(msg.error().detail == "Message headers not terminated");
  CHECK(parseStatus("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h") == 400);
  CHECK(parseStatus("OPTIONS sip:a@b SIP/2.0\r\n") == 400);
}

TEST_CASE("Content-Length framing") {
  const std::string head = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n";
  SUBCASE("larger than the message (RFC 4475 clerr)") {
    auto msg = parseForTest(head + "Content-Length: 9999\r\n\r\nabc");
    REQUIRE_FALSE(msg);
    CHECK(msg.error().status == 400);
    CHECK(msg.error().detail == "Content-Length larger than message");
  }
  SUBCASE("negative or non-numeric (RFC 4475 ncl)") {
    CHECK(parseStatus(head + "Content-Length: -999\r\n\r\nabc") == 400);
    CHECK(parseStatus(head + "Content-Length: abc\r\n\r\n") == 400);
    CHECK(parseStatus(head + "Content-Length: 1 2\r\n\r\n") == 400);
    CHECK(parseStatus(head + "Content-Length: \r\n\r\n") == 400);
    CHECK(parseStatus(head + "Content-Length: 99999999999999999999999\r\n\r\n") == 400);
  }
  SUBCASE("conflicting values (RFC 4475 mcl01); equal repeats are fine") {
    CHECK(parseStatus(head + "Content-Length: 13\r\nl: 5\r\n\r\nabcdefghijklmnopq") == 400);
    auto msg = parseForTest(head + "Content-Length: 3\r\nl: 003\r\n\r\nabc");
    REQUIRE(msg);
    CHECK(msg->body() == "abc");
  }
  SUBCASE("trailing octets are ignored (RFC 4475 dblreq)") {
    auto msg = parseForTest(head + "Content-Length: 2\r\n\r\nabINVITE sip:x SIP/2.0\r\n");
    REQUIRE(msg);
    CHECK(msg->body() == "ab");
  }
  SUBCASE("no Content-Length: the body is the rest (RFC 4475 inv2543)") {
    auto msg = parseForTest(head + "\r\nv=0\r\nbody\r\n");
    REQUIRE(msg);
    CHECK(msg->body() == "v=0\r\nbody\r\n");
  }
  SUBCASE("binary bodies with NULs and bare CR/LF") {
    const std::string body("a\0b\r\nc\rd\n", 10);
    auto msg = parseForTest(head + "Content-Length: 10\r\n\r\n" + body);
    REQUIRE(msg);
    CHECK(msg->body() == body);
  }
}

TEST_CASE("limits: message size (513) and header count (400)") {
  ParseLimits limits;
  limits.max_message_size = 64;
  const std::string big =
      "OPTIONS sip:a@b SIP/2.0\r\nSubject: " + std::string(64, 'x') + "\r\n\r\n";
  auto msg = parseForTest(big, limits);
  REQUIRE_FALSE(msg);
  CHECK(msg.error().status == 513);
  CHECK(msg.error().detail == "Message Too Large");

  limits = ParseLimits{};
  limits.max_headers = 3;
  CHECK(parseStatus("OPTIONS sip:a@b SIP/2.0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits) == 200);
  CHECK(parseStatus("OPTIONS sip:a@b SIP/2.0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", limits) ==
        400);
  CHECK(parseStatus("OPTIONS sip:a@b SIP/2.0\r\nVia: a, b, c, d\r\n\r\n", limits) == 400);
}

TEST_CASE("parse from an owned buffer") {
  const std::string_view text = "SIP/2.0 200 OK\r\nCall-ID: x\r\n\r\n";
  auto bytes = std::make_unique<char[]>(text.size());
  std::memcpy(bytes.get(), text.data(), text.size());
  const char* data = bytes.get();
  auto msg = SipMessage::parse(std::move(bytes), text.size());
  REQUIRE(msg);
  CHECK(msg->raw().data() == data);  // zero-copy
  CHECK(msg->callId().data() >= data);
  CHECK(msg->callId().data() < data + text.size());
  CHECK(parseStatus("") == 0);
  CHECK_FALSE(SipMessage::parse(nullptr, 0));
}

TEST_CASE("parseKeepingOnError hands the bytes back only on error") {
  const std::string_view bad = "OPTIONS sip:a@b SIP/2.0\r\nl: 9\r\n\r\n";
  auto bytes = std::make_unique<char[]>(bad.size());
  std::memcpy(bytes.get(), bad.data(), bad.size());
  const char* data = bytes.get();
  auto failed = SipMessage::parseKeepingOnError(bytes, bad.size());
  REQUIRE_FALSE(failed);
  CHECK(failed.error().status == 400);
  CHECK(bytes.get() == data);
  CHECK(std::string_view(bytes.get(), bad.size()) == bad);

  const std::string_view good = "OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n";
  std::memcpy(bytes.get(), good.data(), good.size());
  auto parsed = SipMessage::parseKeepingOnError(bytes, good.size());
  REQUIRE(parsed);
  CHECK(bytes == nullptr);
  CHECK(parsed->raw().data() == data);
}

TEST_CASE("views survive moving the message") {
  auto parsed = parseForTest(kInvite);
  REQUIRE(parsed);
  SipMessage msg = std::move(*parsed);
  msg.prependHeader(HeaderName::Via, "SIP/2.0/UDP p;branch=z9hG4bK2");  // short: SSO in arena
  msg.setRequestUri("sip:b@c");
  const std::string_view via = msg.header(HeaderName::Via);
  const std::string_view uri = msg.requestUri();
  SipMessage moved = std::move(msg);
  CHECK(moved.header(HeaderName::Via).data() == via.data());
  CHECK(moved.header(HeaderName::Via) == "SIP/2.0/UDP p;branch=z9hG4bK2");
  CHECK(moved.requestUri().data() == uri.data());
  CHECK(moved.requestUri() == "sip:b@c");
  CHECK(moved.body() == "hello");
}

TEST_CASE("From, To and the top Via are parsed once and follow edits") {
  auto parsed = parseForTest(kInvite);
  REQUIRE(parsed);
  SipMessage msg = std::move(*parsed);
  const Result<Via>* via = &msg.topVia();
  REQUIRE(*via);
  CHECK((*via)->host() == "client.atlanta.example.com");
  CHECK(&msg.topVia() == via);  // the same parse, not a new one
  CHECK(msg.to()->uri().user() == "bob");
  CHECK(msg.from()->tag() == "9fxced76sl");

  SipMessage moved = std::move(msg);  // the parsed forms move along, views still valid
  CHECK(moved.topVia()->branch() == "z9hG4bK74bf9");
  CHECK(moved.to()->displayName() == "Bob");

  moved.prependHeader(HeaderName::Via, "SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1");
  CHECK(moved.topVia()->host() == "proxy.example.com");
  CHECK(moved.removeFirst(HeaderName::Via));
  CHECK(moved.topVia()->host() == "client.atlanta.example.com");
  moved.removeAll(HeaderName::Via);
  CHECK_FALSE(moved.topVia());
  CHECK(moved.topVia().error().status == 400);

  moved.setHeader(HeaderName::To, "<sip:carol@example.com>;tag=t2");
  CHECK(moved.to()->uri().user() == "carol");
  CHECK(moved.to()->tag() == "t2");
  moved.setHeader(HeaderName::From, "not an address <");
  CHECK_FALSE(moved.from());
  moved.removeAll(HeaderName::From);
  moved.appendHeader(HeaderName::From, "<sip:dave@example.com>;tag=f3");
  CHECK(moved.from()->tag() == "f3");
  moved.appendHeader("v", "SIP/2.0/TCP again.example.com;branch=z9hG4bKa");  // compact name
  CHECK(moved.topVia()->host() == "again.example.com");

  moved.dropParsedHeaders();  // freed; asking again parses again, with the same answer
  CHECK(moved.to()->uri().user() == "carol");
  CHECK(moved.topVia()->host() == "again.example.com");
}

TEST_CASE("clone: an independent copy with the edits") {
  auto parsed = parseForTest(kInvite);
  REQUIRE(parsed);
  auto original = std::make_unique<SipMessage>(std::move(*parsed));
  original->prependHeader(HeaderName::Via, "SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1");
  original->appendHeader("X-Added", "a value long enough to need the heap, not SSO");
  original->setRequestUri("sip:bob@192.0.2.4:5070");
  original->removeAll(HeaderName::Contact);
  const std::string expected = original->serialize();
  CHECK(original->topVia()->host() == "proxy.example.com");  // a parsed form is not shared

  SipMessage copy = original->clone();
  CHECK(copy.serialize() == expected);
  original.reset();  // the copy owns everything it views
  CHECK(copy.serialize() == expected);
  CHECK(copy.method() == Method::Invite);
  CHECK(copy.requestUri() == "sip:bob@192.0.2.4:5070");
  CHECK(copy.header("x-added") == "a value long enough to need the heap, not SSO");
  CHECK(copy.topVia()->host() == "proxy.example.com");
  CHECK(copy.count(HeaderName::Via) == 2);
  CHECK(copy.body() == "hello");
  copy.removeFirst(HeaderName::Via);
  CHECK(copy.topVia()->host() == "client.atlanta.example.com");

  auto response = parseForTest(
      "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n"
      "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\n"
      "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
  REQUIRE(response);
  SipMessage response_copy = response->clone();
  CHECK(response_copy.isResponse());
  CHECK(response_copy.statusCode() == 180);
  CHECK(response_copy.reasonPhrase() == "Ringing");
  CHECK(response_copy.serialize() == response->serialize());
}

TEST_CASE("edits: prepend, append, set, remove") {
  auto msg = parseForTest(kInvite);
  REQUIRE(msg);
  msg->prependHeader(HeaderName::Via, "SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1");
  msg->appendHeader(HeaderName::Via, "SIP/2.0/UDP last.example.com");
  auto vias = msg->headers(HeaderName::Via);
  REQUIRE(vias.size() == 3);
  CHECK(vias[0] == "SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1");
  CHECK(vias[2] == "SIP/2.0/UDP last.example.com");
  CHECK(msg->topVia()->branch() == "z9hG4bKp1");

  msg->prependHeader(HeaderName::RecordRoute, "<sip:proxy.example.com;lr>");
  CHECK(msg->fields()[0].id == HeaderName::RecordRoute);
  CHECK(msg->fields()[0].name == "Record-Route");

  msg->appendHeader("X-Custom", "two");
  msg->appendHeader("X-Other", "three");
  msg->appendHeader("max-forwards", "5");  // known names get their id
  CHECK(msg->count(HeaderName::MaxForwards) == 2);
  CHECK(msg->header("x-other") == "three");

  msg->setHeader(HeaderName::MaxForwards, "69");
  CHECK(msg->count(HeaderName::MaxForwards) == 1);
  CHECK(msg->maxForwards() == 69u);
  msg->setMaxForwards(12);
  CHECK(msg->maxForwards() == 12u);
  msg->setHeader(HeaderName::Expires, "300");
  CHECK(msg->expires() == 300u);

  CHECK(msg->removeFirst(HeaderName::Via));
  CHECK(msg->topVia()->branch() == "z9hG4bK74bf9");
  msg->removeAll(HeaderName::Via);
  CHECK_FALSE(msg->has(HeaderName::Via));
  CHECK_FALSE(msg->removeFirst(HeaderName::Via));
  CHECK_FALSE(msg->topVia());

  msg->setRequestUri("sip:bob@192.0.2.4:5070");
  CHECK(msg->requestUri() == "sip:bob@192.0.2.4:5070");
}

TEST_CASE("lookups of headers a message lacks, before and after edits add them") {
  auto msg = parseForTest(kInvite);
  REQUIRE(msg);
  CHECK_FALSE(msg->has(HeaderName::Route));
  CHECK(msg->header(HeaderName::Route).empty());
  CHECK(msg->headers(HeaderName::Route).empty());
  CHECK(msg->count(HeaderName::Route) == 0);
  CHECK(msg->tokens(HeaderName::Require).empty());
  CHECK(msg->header("X-Absent").empty());
  CHECK_FALSE(msg->expires());

  msg->appendHeader(HeaderName::Route, "<sip:r1.example.com;lr>");
  msg->prependHeader(HeaderName::Route, "<sip:r0.example.com;lr>");
  msg->appendHeader("X-Absent", "now here");
  msg->setHeader(HeaderName::Require, "100rel, timer");
  CHECK(msg->has(HeaderName::Route));
  CHECK(msg->count(HeaderName::Route) == 2);
  CHECK(msg->header(HeaderName::Route) == "<sip:r0.example.com;lr>");
  CHECK(msg->header("x-absent") == "now here");
  CHECK(msg->tokens(HeaderName::Require).size() == 2);

  const SipMessage copy = msg->clone();
  CHECK(copy.count(HeaderName::Route) == 2);
  CHECK(copy.header("X-Absent") == "now here");

  msg->removeAll(HeaderName::Route);
  CHECK_FALSE(msg->has(HeaderName::Route));
  CHECK(msg->headers(HeaderName::Route).empty());
  CHECK(copy.has(HeaderName::Route));
}

TEST_CASE("serialize: start line, fields in order, recomputed Content-Length") {
  auto msg = parseForTest(kInvite);
  REQUIRE(msg);
  msg->prependHeader(HeaderName::Via, "SIP/2.0/UDP p.example.com;branch=z9hG4bKp1");
  msg->setBody("hello, world");
  const std::string out = msg->serialize();
  CHECK(out.rfind("INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
                  "Via: SIP/2.0/UDP p.example.com;branch=z9hG4bKp1\r\n"
                  "Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9\r\n",
                  0) == 0);
  CHECK(out.find("Content-Length: 12\r\n\r\nhello, world") != std::string::npos);
  CHECK(out.find("Content-Length: 5") == std::string::npos);
  CHECK(out.size() == out.find("\r\n\r\n") + 4 + 12);

  std::string appended = "prefix";
  msg->serializeTo(appended);
  CHECK(appended == "prefix" + out);
}

void checkRoundTrip(std::string_view text) {
  auto first = parseForTest(text);
  REQUIRE_MESSAGE(first, text);
  const std::string wire = first->serialize();
  auto second = parseForTest(wire);
  REQUIRE_MESSAGE(second, wire);
  CHECK(second->isRequest() == first->isRequest());
  CHECK(second->methodText() == first->methodText());
  CHECK(second->requestUri() == first->requestUri());
  CHECK(second->statusCode() == first->statusCode());
  CHECK(second->reasonPhrase() == first->reasonPhrase());
  CHECK(second->body() == first->body());
  std::vector<std::pair<std::string_view, std::string_view>> a, b;
  for (const auto& f : first->fields()) {
    if (f.id != HeaderName::ContentLength) {
      a.emplace_back(f.name, f.value);
    }
  }
  for (const auto& f : second->fields()) {
    if (f.id != HeaderName::ContentLength) {
      b.emplace_back(f.name, f.value);
    }
  }
  CHECK(a == b);
  CHECK(second->serialize() == wire);  // a fixed point after one pass
}

TEST_CASE("serialization round trips") {
  checkRoundTrip(kInvite);
  checkRoundTrip(
      "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP a, SIP/2.0/UDP b\r\n"
      "To: <sip:b@c>;tag=x\r\nl: 0\r\n\r\n");
  checkRoundTrip("SIP/2.0 100 \r\n\r\n");
  checkRoundTrip("OPTIONS sip:a@b SIP/2.0\r\nSubject: a\r\n b\r\nContact: *\r\n\r\nrest-body");
  using namespace std::string_view_literals;
  checkRoundTrip(
      "MESSAGE sip:a@b SIP/2.0\r\nm: \"x, y\" <sip:c@d>, <sip:e@f>\r\n"
      "Content-Length: 4\r\n\r\n\0\r\n\0"sv);
}

TEST_CASE("every prefix and single-byte corruption parses without crashing") {
  const std::string text(kInvite);
  for (size_t n = 0; n <= text.size(); ++n) {
    auto msg = parseForTest(std::string_view(text).substr(0, n));
    if (msg) {
      (void)msg->serialize();
    }
  }
  uint32_t seed = 12345;
  for (int round = 0; round < 2000; ++round) {
    std::string mutated = text;
    seed = seed * 1103515245u + 12345u;
    mutated[(seed >> 8) % mutated.size()] = static_cast<char>(seed >> 24);
    auto msg = parseForTest(mutated);
    if (msg) {
      (void)msg->from();
      (void)msg->topVia();
      CHECK(parseForTest(msg->serialize()));
    }
  }
}

}  // namespace
}  // namespace proxy::sip
