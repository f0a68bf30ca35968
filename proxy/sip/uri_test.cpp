// SPDX-License-Identifier: Apache-2.0
#include "proxy/sip/uri.h"

#include <doctest/doctest.h>

#include <string>

namespace proxy::sip {
namespace {

Uri mustParse(std::string_view text) {
  auto uri = Uri::parse(text);
  REQUIRE_MESSAGE(uri, text);
  return *uri;
}

TEST_CASE("a full SIP URI splits into its parts") {
  const Uri uri = mustParse("sip:alice:secret@Atlanta.com:5070;transport=tcp;lr?subject=x&to=y");
  CHECK(uri.scheme() == "sip");
  CHECK(uri.isSip());
  CHECK(uri.user() == "alice");
  CHECK(uri.password() == "secret");
  CHECK(uri.host() == "Atlanta.com");
  CHECK(uri.port() == 5070);
  REQUIRE(uri.params().size() == 2);
  CHECK(uri.params()[0].name == "transport");
  CHECK(uri.params()[0].value == "tcp");
  CHECK(uri.params()[0].has_value);
  CHECK(uri.params()[1].name == "lr");
  CHECK_FALSE(uri.params()[1].has_value);
  REQUIRE(uri.param("TRANSPORT") != nullptr);
  CHECK(uri.param("maddr") == nullptr);
  CHECK(uri.headers() == "subject=x&to=y");
  CHECK(uri.text() == "sip:alice:secret@Atlanta.com:5070;transport=tcp;lr?subject=x&to=y");
}

TEST_CASE("host-only, sips and IPv4 URIs") {
  const Uri host_only = mustParse("sip:example.com");
  CHECK(host_only.user().empty());
  CHECK(host_only.host() == "example.com");
  CHECK(host_only.port() == 0);
  CHECK(host_only.aor() == "example.com");

  const Uri sips = mustParse("SIPS:bob@192.0.2.4");
  CHECK(sips.isSip());
  CHECK(sips.host() == "192.0.2.4");
}

TEST_CASE("IPv6 references keep their brackets") {
  const Uri uri = mustParse("sip:[2001:db8::10]:5070;maddr=[2001:db8::1]");
  CHECK(uri.host() == "[2001:db8::10]");
  CHECK(uri.port() == 5070);
  CHECK(uri.param("maddr")->value == "[2001:db8::1]");

  const Uri with_user = mustParse("sips:alice@[::1]");
  CHECK(with_user.user() == "alice");
  CHECK(with_user.host() == "[::1]");
  CHECK(with_user.port() == 0);
}

TEST_CASE("user parts may hold ';', '?' and other user-unreserved characters") {
  // RFC 4475 semiuri.
  const Uri semi = mustParse("sip:user;par=u%40example.net@example.com");
  CHECK(semi.user() == "user;par=u%40example.net");
  CHECK(unescape(semi.user()) == "user;par=u@example.net");
  CHECK(semi.host() == "example.com");
  CHECK(semi.params().empty());

  // RFC 4475 intmeth.
  const Uri weird = mustParse(
      "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too."
      "(doesn't-it)@example.com");
  CHECK(weird.user() == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  CHECK(weird.password() == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  CHECK(weird.host() == "example.com");
}

TEST_CASE("escapes: user and aor are unescaped, invalid escapes kept literally") {
  const Uri esc = mustParse("sip:sips%3Auser%40example.com@example.net");
  CHECK(unescape(esc.user()) == "sips:user@example.com");
  CHECK(esc.aor() == "sips:user@example.com@example.net");

  CHECK(mustParse("sip:%75se%72@Example.COM").aor() == "user@example.com");
  CHECK(mustParse("sip:Alice@AtLanTa.CoM").aor() == "Alice@atlanta.com");

  const std::string nul = unescape("null-%00-null");
  CHECK(nul.size() == 11);
  CHECK(nul == std::string("null-\0-null", 11));
  CHECK(unescape("%Z%45") == "%ZE");  // RFC 4475 esc02
  CHECK(unescape("100%") == "100%");
  CHECK(unescape("%4") == "%4");
  CHECK(unescape("%4g") == "%4g");
  CHECK(unescape("%25%34%31") == "%41");  // decoded once only (RFC 4475 esc01)
  CHECK(unescape("") == "");
}

TEST_CASE("escaped parameter names and URI headers (RFC 4475 esc01, regescrt)") {
  const Uri contact = mustParse("sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31");
  CHECK(contact.aor() == "caller@host5.example.net");
  REQUIRE(contact.params().size() == 2);
  CHECK(unescape(contact.params()[0].name) == "lr");
  CHECK(unescape(contact.params()[1].value) == "value%41");

  const Uri route = mustParse("sip:user@example.com?Route=%3Csip:sip.example.com%3E");
  CHECK(route.headers() == "Route=%3Csip:sip.example.com%3E");
  CHECK(route.params().empty());
}

TEST_CASE("other schemes parse as opaque absolute URIs") {
  const Uri tel = mustParse("tel:+1-201-555-0123;phone-context=example.com");
  CHECK(tel.scheme() == "tel");
  CHECK_FALSE(tel.isSip());
  CHECK(tel.opaque() == "+1-201-555-0123;phone-context=example.com");
  CHECK(tel.host().empty());

  CHECK(mustParse("nobodyKnowsThisScheme:totallyopaquecontent").opaque() ==
        "totallyopaquecontent");
  const Uri beep = mustParse("soap.beep://192.0.2.103:3002");
  CHECK(beep.scheme() == "soap.beep");
  CHECK(beep.opaque() == "//192.0.2.103:3002");
  CHECK(mustParse("urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6").scheme() == "urn");
}

TEST_CASE("malformed URIs are 400 errors") {
  for (std::string_view bad :
       {"", ":", "sip", "sip:", "1sip:host", "<sip:user@example.com>", "sip:@example.com",
        "sip:user@", "sip:user@host:", "sip:host:99999", "sip:host:0", "sip:host:5a",
        "sip:ho st", "sip:host;;lr", "sip:host;a=", "sip:host;=b", "sip:[::1", "sip:[]",
        "sip:[zz::1]", "sip:host>", "sip:user\"@host", "sip:host\r\n", "tel:", "tel:12 34",
        "mailto:<x>"}) {
    auto uri = Uri::parse(bad);
    CHECK_MESSAGE(!uri, bad);
    if (!uri) {
      CHECK(uri.error().status == 400);
    }
  }
}

void checkEquivalent(std::string_view a, std::string_view b, bool expected) {
  const Uri ua = mustParse(a);
  const Uri ub = mustParse(b);
  CHECK_MESSAGE(ua.equivalent(ub) == expected, a, " vs ", b);
  CHECK_MESSAGE(ub.equivalent(ua) == expected, b, " vs ", a);
}

TEST_CASE("RFC 3261 §19.1.4 equivalent URIs") {
  checkEquivalent("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp",
                  true);
  checkEquivalent("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5", true);
  checkEquivalent("sip:carol@chicago.com", "sip:carol@chicago.com;security=on", true);
  checkEquivalent("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on", true);
  checkEquivalent("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
                  "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com", true);
  checkEquivalent("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
                  "sip:alice@atlanta.com?priority=urgent&subject=project%20x", true);
}

TEST_CASE("RFC 3261 §19.1.4 non-equivalent URIs") {
  checkEquivalent("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP",
                  false);
  checkEquivalent("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060", false);
  checkEquivalent("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp", false);
  checkEquivalent("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp", false);
  checkEquivalent("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting", false);
  checkEquivalent("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4", false);
}

TEST_CASE("more §19.1.4 rules: scheme, password, maddr/user/ttl/method, param values") {
  checkEquivalent("SIP:alice@atlanta.com", "sip:alice@ATLANTA.com", true);
  checkEquivalent("sip:alice@atlanta.com", "sips:alice@atlanta.com", false);
  checkEquivalent("sip:alice:pw@atlanta.com", "sip:alice:PW@atlanta.com", false);
  checkEquivalent("sip:alice@atlanta.com", "sip:alice@atlanta.com;maddr=239.255.255.1", false);
  checkEquivalent("sip:alice@atlanta.com", "sip:alice@atlanta.com;user=ip", false);
  checkEquivalent("sip:alice@atlanta.com", "sip:alice@atlanta.com;ttl=1", false);
  checkEquivalent("sip:alice@atlanta.com", "sip:alice@atlanta.com;method=INVITE", false);
  checkEquivalent("sip:alice@atlanta.com;lr", "sip:alice@atlanta.com;lr=on", false);
  checkEquivalent("sip:a@b;x=1", "sip:a@b;x=2", false);
  checkEquivalent("sip:a@b?x=1", "sip:a@b?x=1&y=2", false);
  checkEquivalent("sip:a@b?x=1", "sip:a@b?x=2", false);
  checkEquivalent("sip:a@b;%6C%72", "sip:a@b;LR", true);
  checkEquivalent("sip:a@b;user=phone;user=ip", "sip:a@b;user=phone", true);  // first wins
  checkEquivalent("sip:a@b;user=phone;user=ip", "sip:a@b;user=ip", false);
  checkEquivalent("tel:+123", "tel:+123", true);
  checkEquivalent("tel:+123", "tel:+124", false);
  checkEquivalent("tel:+123", "sip:+123@example.com", false);
}

}  // namespace
}  // namespace proxy::sip
