// SPDX-License-Identifier: Apache-2.0
#include "proxy/sip/name_addr.h"

#include <doctest/doctest.h>

#include <string_view>
#include <utility>

namespace proxy::sip {
namespace {

NameAddr mustParse(std::string_view text) {
  auto na = NameAddr::parse(text);
  REQUIRE_MESSAGE(na, text);
  return *na;
}

TEST_CASE("quoted display name with escapes, uri and params") {
  const NameAddr na = mustParse(R"("J Rosenberg \\\""  <sip:jdrosen@example.com> ;  tag = 98asjd8)");
  CHECK(na.displayName() == R"(J Rosenberg \\\")");
  CHECK(na.uriText() == "sip:jdrosen@example.com");
  CHECK(na.uri().user() == "jdrosen");
  CHECK(na.tag() == "98asjd8");
  CHECK_FALSE(na.isWildcard());
}

TEST_CASE("token display names, with or without LWS before <") {
  const NameAddr lwsdisp = mustParse("caller<sip:caller@example.com>;tag=323");  // RFC 4475
  CHECK(lwsdisp.displayName() == "caller");
  CHECK(lwsdisp.tag() == "323");

  const NameAddr tokens = mustParse("token1~` token2'+_ token3*%!.- <sip:mundane@example.com>");
  CHECK(tokens.displayName() == "token1~` token2'+_ token3*%!.-");
  CHECK(mustParse("<sip:a@b>").displayName().empty());
}

TEST_CASE("addr-spec: params after the URI are header params (RFC 3261 §20.10)") {
  const NameAddr cparam01 = mustParse("sip:+19725552222@gw1.example.net;unknownparam");
  CHECK(cparam01.uri().params().empty());
  REQUIRE(cparam01.param("unknownparam") != nullptr);
  CHECK_FALSE(cparam01.param("unknownparam")->has_value);

  const NameAddr cparam02 = mustParse("<sip:+19725552222@gw1.example.net;unknownparam>");
  CHECK(cparam02.params().empty());
  CHECK(cparam02.uri().param("unknownparam") != nullptr);

  const NameAddr wsinv = mustParse("sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n");
  CHECK(wsinv.uriText() == "sip:vivekg@chair-dnrc.example.com");
  CHECK(wsinv.tag() == "1918181833n");
}

TEST_CASE("quoted parameter values lose their quotes, keep their commas") {
  const NameAddr na = mustParse(
      "<sip:alice@192.0.2.1:5060;transport=tls>;methods=\"INVITE, MESSAGE\";proxy=replace;"
      "+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\";q=0.5");
  REQUIRE(na.params().size() == 4);
  CHECK(na.param("methods")->value == "INVITE, MESSAGE");
  CHECK(na.param("methods")->quoted);
  CHECK(na.param("+sip.instance")->value == "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>");
  CHECK(na.param("q")->value == "0.5");
  CHECK_FALSE(na.param("q")->quoted);
  CHECK(na.uri().param("transport")->value == "tls");
}

TEST_CASE("wildcard Contact, non-SIP URIs, IPv6") {
  CHECK(mustParse("*").isWildcard());
  CHECK(mustParse("  *  ").isWildcard());
  CHECK(mustParse("isbn:2983792873").uri().scheme() == "isbn");  // RFC 4475 unksm2
  CHECK(mustParse("<http://www.example.com>;tag=3234233").tag() == "3234233");
  CHECK(mustParse("<name:John_Smith>").uri().opaque() == "John_Smith");
  CHECK(mustParse("\"v6\" <sip:alice@[2001:db8::1]:5061>").uri().host() == "[2001:db8::1]");
}

TEST_CASE("malformed name-addrs are 400") {
  for (std::string_view bad : {
           "",
           "   ",
           "\"Mr. J. User <sip:j.user@example.com>",               // quotbal
           "Bell, Alexander <sip:a.g.bell@example.com>;tag=43",   // baddn
           "\"Watson, Thomas\" < sip:t.watson@example.org >",     // badaspec
           "sip:user@example.com?Route=%3Csip:sip.example.com%3E",  // regbadct
           "<sip:user@example.com",
           "\"Joe\" sip:joe@example.org",
           "\"Joe\" <sip:joe@example.org>;;;;",  // badinv01
           "<sip:joe@example.org>;tag=",
           "<sip:joe@example.org>;tag=\"open",
           "<sip:joe@example.org> trailing",
           "<>",
           "<not a uri>",
           "Joe <sip:joe@example.org>, <sip:x@y>",
           "*;q=1",
       }) {
    auto na = NameAddr::parse(bad);
    CHECK_MESSAGE(!na, bad);
    if (!na) {
      CHECK(na.error().status == 400);
    }
  }
}

TEST_CASE("Via: protocol, transport, sent-by and params") {
  auto via = Via::parse("SIP/2.0/UDP pc33.atlanta.com:5066;branch=z9hG4bK776asdhds;"
                        "received=192.0.2.1;rport=5060;ttl=16;maddr=224.2.0.1");
  REQUIRE(via);
  CHECK(via->protocol() == "SIP/2.0");
  CHECK(via->transport() == "UDP");
  CHECK(via->host() == "pc33.atlanta.com");
  CHECK(via->port() == 5066);
  CHECK(via->branch() == "z9hG4bK776asdhds");
  CHECK(via->param("received")->value == "192.0.2.1");
  CHECK(via->hasRport());
  CHECK(via->param("rport")->value == "5060");
  CHECK(via->param("ttl")->value == "16");
  CHECK(via->param("maddr")->value == "224.2.0.1");

  auto bare = Via::parse("SIP/2.0/TCP host.example.com;rport");
  REQUIRE(bare);
  CHECK(bare->port() == 0);
  CHECK(bare->hasRport());
  CHECK_FALSE(bare->param("rport")->has_value);
  CHECK(bare->branch().empty());
}

TEST_CASE("Via: branch is the first branch parameter, names in any case; copies keep it") {
  auto via = Via::parse("SIP/2.0/UDP h.example.com;rport;BRANCH=z9hG4bKup;branch=z9hG4bKlater");
  REQUIRE(via);
  CHECK(via->branch() == "z9hG4bKup");
  const Via copy = *via;
  CHECK(copy.branch() == "z9hG4bKup");
  auto valueless = Via::parse("SIP/2.0/UDP h.example.com;branch");
  REQUIRE(valueless);
  CHECK(valueless->branch().empty());
  auto to = NameAddr::parse("<sip:b@example.com>;TAG=Ab1;tag=second");
  REQUIRE(to);
  CHECK(to->tag() == "Ab1");
  CHECK(to->param("Tag")->value == "Ab1");
  CHECK(to->param("ta") == nullptr);
}

TEST_CASE("Via tolerates LWS inside sent-protocol and around separators (RFC 4475 wsinv)") {
  auto a = Via::parse("SIP  /   2.0   /UDP    192.0.2.2;branch=390skdjuw");
  REQUIRE(a);
  CHECK(a->protocol() == "SIP/2.0");
  CHECK(a->transport() == "UDP");
  CHECK(a->host() == "192.0.2.2");
  CHECK(a->branch() == "390skdjuw");

  auto b = Via::parse("SIP  /    2.0   / UDP  192.168.255.111   ; branch=   z9hG4bK30239");
  REQUIRE(b);
  CHECK(b->transport() == "UDP");
  CHECK(b->host() == "192.168.255.111");
  CHECK(b->branch() == "z9hG4bK30239");

  auto c = Via::parse("SIP/2.0/TCP host : 5070 ;branch=x");
  REQUIRE(c);
  CHECK(c->port() == 5070);
}

TEST_CASE("Via with IPv6 sent-by and received, unknown transports and protocols") {
  auto v6 = Via::parse("SIP/2.0/UDP [2001:db8::9:1]:5070;branch=z9hG4bKas3-111;"
                       "received=2001:db8::9:255");
  REQUIRE(v6);
  CHECK(v6->host() == "[2001:db8::9:1]");
  CHECK(v6->port() == 5070);
  CHECK(v6->param("received")->value == "2001:db8::9:255");

  auto unknown = Via::parse("SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en");
  REQUIRE(unknown);
  CHECK(unknown->transport() == "UNKNOWN");

  auto other = Via::parse("FOO/1.0/UDP h");
  REQUIRE(other);
  CHECK(other->protocol() == "FOO/1.0");
}

TEST_CASE("malformed Vias are 400") {
  for (std::string_view bad :
       {"", "SIP/2.0", "SIP/2.0/UDP", "SIP/2.0/UDP ", "SIP/2.0 UDP host", "SIP/2.0/UDPhost",
        "SIP/2.0/UDP host;;", "SIP/2.0/UDP 192.0.2.15;;,;,,", "SIP/2.0/UDP host:99999",
        "SIP/2.0/UDP host:", "SIP/2.0/UDP [::1", "SIP/2.0/UDP host;branch=", "/2.0/UDP host",
        "SIP/2.0/UDP ho<st", "SIP/2.0/UDP host extra"}) {
    auto via = Via::parse(bad);
    CHECK_MESSAGE(!via, bad);
    if (!via) {
      CHECK(via.error().status == 400);
    }
  }
}

TEST_CASE("long parameter lists: past the inline slots, in order, through copies") {
  const std::string_view text =
      "<sip:a@b;p1;p2=2;p3;p4=4;p5;p6=6>;tag=t;expires=60;reg-id=1;+sip.instance=\"<urn:x>\""
      ";q=0.5;x";
  const NameAddr na = mustParse(text);
  NameAddr copy = na;
  const NameAddr moved = std::move(copy);
  NameAddr assigned = mustParse("<sip:c@d>");
  assigned = moved;
  const NameAddr* const all[] = {&na, &moved, &assigned};
  for (const NameAddr* each : all) {
    REQUIRE(each->paramList().size() == 6);
    REQUIRE(each->params().size() == 6);
    CHECK(each->paramList()[0].name == "tag");
    CHECK(each->paramList()[5].name == "x");
    CHECK(each->params()[4].value == "0.5");
    CHECK(each->param("+SIP.INSTANCE")->value == "<urn:x>");
    CHECK(each->tag() == "t");
    REQUIRE(each->uri().paramList().size() == 6);
    CHECK(each->uri().params()[5].value == "6");
    CHECK(each->uri().param("p6")->value == "6");
    CHECK(each->uri().param("p1") != nullptr);
  }

  auto via = Via::parse("SIP/2.0/UDP h;a=1;b;c=3;d;e=5;branch=z9hG4bK-x;rport");
  REQUIRE(via);
  CHECK(via->paramList().size() == 7);
  CHECK(via->params().size() == 7);
  CHECK(via->branch() == "z9hG4bK-x");
  CHECK(via->hasRport());
}

TEST_CASE("CSeq parses number and method") {
  auto a = CSeq::parse("0009    INVITE");
  REQUIRE(a);
  CHECK(a->number == 9);
  CHECK(a->method == "INVITE");
  auto b = CSeq::parse(" 4294967295 !interesting-Method0123456789_*+`.%indeed'~ ");
  REQUIRE(b);
  CHECK(b->number == 4294967295u);
  CHECK(b->method == "!interesting-Method0123456789_*+`.%indeed'~");
}

TEST_CASE("CSeq rejects overflow and junk (RFC 4475 scalar02)") {
  for (std::string_view bad :
       {"", "1", "INVITE", "1INVITE", "-1 INVITE", "4294967296 INVITE",
        "36893488147419103232 REGISTER", "1 INVITE extra", "1 INV@ITE", "1.5 INVITE"}) {
    auto cseq = CSeq::parse(bad);
    CHECK_MESSAGE(!cseq, bad);
    if (!cseq) {
      CHECK(cseq.error().status == 400);
    }
  }
}

}  // namespace
}  // namespace proxy::sip
