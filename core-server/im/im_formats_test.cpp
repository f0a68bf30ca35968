// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/im_formats.h"

#include <doctest/doctest.h>

namespace core::im {
namespace {

TEST_CASE("isComposing <-> KeyboardActivity, both ways") {
  CHECK(parseIsComposing(buildIsComposing(true)) == true);
  CHECK(parseIsComposing(buildIsComposing(false)) == false);
  CHECK(parseKeyboardActivity(buildKeyboardActivity(true)) == true);
  CHECK(parseKeyboardActivity(buildKeyboardActivity(false)) == false);
  // What pidgin-sipe sends (PROTOCOLS.md §(c)).
  CHECK(parseKeyboardActivity("<?xml version=\"1.0\"?><KeyboardActivity> <status status=\"type\" "
                              "/></KeyboardActivity>") == true);
  // RFC 3994 §5 example, with a prefix and extra elements.
  CHECK(parseIsComposing("<?xml version=\"1.0\"?><i:isComposing "
                         "xmlns:i=\"urn:ietf:params:xml:ns:im-iscomposing\"><i:state> idle "
                         "</i:state><i:lastactive>2003-01-27T10:43:00Z</i:lastactive>"
                         "</i:isComposing>") == false);
}

TEST_CASE("typing bodies: bad input is nullopt") {
  CHECK_FALSE(parseIsComposing(""));
  CHECK_FALSE(parseIsComposing("<isComposing><state>maybe</state></isComposing>"));
  CHECK_FALSE(parseIsComposing("<other><state>active</state></other>"));
  CHECK_FALSE(parseIsComposing("<isComposing><state>active</state>"));  // not closed
  CHECK_FALSE(parseKeyboardActivity("<KeyboardActivity><status/></KeyboardActivity>"));
  CHECK_FALSE(
      parseKeyboardActivity("<!DOCTYPE x [<!ENTITY a \"aaaa\">]><KeyboardActivity><status "
                            "status=\"type\"/></KeyboardActivity>"));
}

TEST_CASE("ms-text-format carries the first message") {
  std::string header = buildMsTextFormat("text/plain", "héllo; bob");
  CHECK(header.starts_with("text/plain; charset=UTF-8;ms-body="));
  auto m = parseMsTextFormat(header);
  REQUIRE(m);
  CHECK(m->body == "héllo; bob");
  CHECK(m->content_type == "text/plain;charset=UTF-8");
  auto sipe = parseMsTextFormat("text/plain; charset=UTF-8;msgr=WAAtAE0A;ms-body=aGk=");
  REQUIRE(sipe);
  CHECK(sipe->body == "hi");
  CHECK_FALSE(parseMsTextFormat("text/plain; charset=UTF-8"));
  CHECK_FALSE(parseMsTextFormat("text/plain;ms-body=***"));
}

TEST_CASE("IM session SDP: offer, answer, malformed") {
  std::string sdp = imSessionSdp("192.0.2.1");
  CHECK(sdp.find("m=message 5060 sip null\r\n") != std::string::npos);
  CHECK(sdp.find("c=IN IP4 192.0.2.1") != std::string::npos);
  CHECK(offersImSession(sdp));
  CHECK(imSessionSdp("::1").find("IN IP6 ::1") != std::string::npos);
  CHECK(offersImSession("v=0\r\nm=x-ms-message 5060 sip null\r\n"));
  CHECK_FALSE(offersImSession("v=0\r\nm=audio 4000 RTP/AVP 0\r\n"));
  CHECK_FALSE(offersImSession("v=0\r\nm=message 9 TCP/MSRP *\r\n"));  // MSRP: relayed as is
  CHECK_FALSE(offersImSession("garbage"));
  CHECK_FALSE(offersImSession("v=0\r\nnot a line\r\nm=message 5060 sip null\r\n"));
}

TEST_CASE("dialect of a registered endpoint") {
  CHECK(isSessionModeEndpoint("UCCAPI/16.0.4849.1000 OC/16.0.4849.1000", ""));
  CHECK(isSessionModeEndpoint("Purple/2.14.10 Sipe/1.25.0 (linux-gnu/6.1)", ""));
  CHECK(isSessionModeEndpoint("", "methods=\"INVITE, MESSAGE, INFO, BENOTIFY\""));
  CHECK_FALSE(isSessionModeEndpoint("baresip v1.0.0", "expires=3600"));
}

TEST_CASE("http date and base64") {
  CHECK(httpDate(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(base64Decode(base64Encode("ab")) == "ab");
  CHECK(base64Decode(base64Encode("")) == "");
  CHECK_FALSE(base64Decode("abc"));
}

}  // namespace
}  // namespace core::im

namespace core::im {
namespace {

constexpr std::string_view kAltType = "multipart/alternative; boundary=\"b1\"";
constexpr std::string_view kAltBody =
    "preamble\r\n"
    "--b1\r\n"
    "Content-Type: text/plain; charset=UTF-8\r\n"
    "\r\n"
    "hello *world*\r\n"
    "--b1\r\n"
    "content-type: text/html\r\n"
    "\r\n"
    "<p>hello <b>world</b></p>\r\n"
    "--b1--\r\n";

TEST_CASE("multipart/alternative: parts split, the richest acceptable one chosen") {
  auto parts = splitMultipart(kAltType, kAltBody);
  REQUIRE(parts);
  REQUIRE(parts->size() == 2);
  CHECK((*parts)[0].content_type == "text/plain; charset=UTF-8");
  CHECK((*parts)[0].body == "hello *world*");
  CHECK((*parts)[1].body == "<p>hello <b>world</b></p>");
  auto html = chooseAlternative(kAltType, kAltBody, {"text/html", "text/plain"});
  REQUIRE(html);
  CHECK(html->content_type == "text/html");
  auto plain = chooseAlternative(kAltType, kAltBody, {"text/plain"});
  REQUIRE(plain);
  CHECK(plain->body == "hello *world*");
  CHECK_FALSE(chooseAlternative(kAltType, kAltBody, {"text/rtf"}));
  CHECK_FALSE(chooseAlternative("text/plain", "x", {"text/plain"}));
}

TEST_CASE("multipart/alternative: malformed bodies are refused, LF-only accepted") {
  CHECK_FALSE(splitMultipart("multipart/alternative", kAltBody));  // no boundary
  CHECK_FALSE(splitMultipart(kAltType, "--b1\r\nContent-Type: text/plain\r\n\r\nno end"));
  CHECK_FALSE(splitMultipart(kAltType, "nothing here"));
  CHECK_FALSE(splitMultipart(kAltType, "--b1--\r\n"));  // no parts
  CHECK_FALSE(splitMultipart(kAltType, "--b1\r\nno blank line\r\n--b1--"));
  CHECK_FALSE(splitMultipart(kAltType, ""));
  auto lf = splitMultipart("multipart/alternative;boundary=zz", "--zz\n\nplain\n--zz--\n");
  REQUIRE(lf);
  CHECK((*lf)[0].content_type == "text/plain");  // the default
  CHECK((*lf)[0].body == "plain");
}

TEST_CASE("ms-text-format of a multipart/alternative first message carries one part") {
  auto parsed = parseMsTextFormat(buildMsTextFormat(kAltType, kAltBody));
  REQUIRE(parsed);
  CHECK(parsed->content_type.starts_with("text/html"));
  CHECK(parsed->body == "<p>hello <b>world</b></p>");
}

}  // namespace
}  // namespace core::im
