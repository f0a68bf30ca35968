// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/stages/page_message.h"

#include <doctest/doctest.h>

#include "proxy/sip/sip_message.h"

namespace core::im {
namespace {

TEST_CASE("withoutTag keeps display name and other params") {
  CHECK(withoutTag("\"Alice\" <sip:alice@example.test>;tag=abc;epid=12") ==
        "\"Alice\" <sip:alice@example.test>;epid=12");
  CHECK(withoutTag("<sip:bob@example.test>") == "<sip:bob@example.test>");
  CHECK(withoutTag("sip:bob@example.test;tag=1") == "<sip:bob@example.test>");
}

TEST_CASE("an offline message keeps its original sender and time") {
  StoredMessage stored;
  stored.recipient = "dave@example.test";
  stored.from = "\"Alice\" <sip:alice@example.test>;tag=orig";
  stored.to = "<sip:dave@example.test>";
  stored.content_type = "text/plain";
  stored.body = "hello dave";
  stored.received_at = 784111777;
  std::string text = buildPageRequest(PageMessage::fromStored(stored),
                                      "sip:dave@192.0.2.5:5060;transport=tcp", "Confab");
  auto parsed = proxy::sip::SipMessage::parse(text);
  REQUIRE(parsed);
  CHECK(parsed->method() == proxy::sip::Method::Message);
  CHECK(parsed->requestUri() == "sip:dave@192.0.2.5:5060;transport=tcp");
  REQUIRE(parsed->from());
  CHECK(parsed->from()->uri().aor() == "alice@example.test");
  CHECK(parsed->from()->displayName() == "Alice");
  CHECK(parsed->from()->tag() != "orig");  // a new request, a new tag
  CHECK(parsed->header(proxy::sip::HeaderName::Date) == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(parsed->body() == "hello dave");
}

TEST_CASE("every attempt at one stored message has the same identity") {
  StoredMessage stored;
  stored.id = 42;
  stored.recipient = "dave@example.test";
  stored.from = "<sip:alice@example.test>;tag=orig";
  stored.to = "<sip:dave@example.test>";
  stored.content_type = "text/plain";
  stored.body = "once";
  stored.received_at = 784111777;
  auto first = proxy::sip::SipMessage::parse(
      buildPageRequest(PageMessage::fromStored(stored), "sip:dave@192.0.2.5", "Confab"));
  auto again = proxy::sip::SipMessage::parse(
      buildPageRequest(PageMessage::fromStored(stored), "sip:dave@192.0.2.9", "Confab"));
  REQUIRE(first);
  REQUIRE(again);
  CHECK(first->callId() == "off-42-784111777@confab-im");
  CHECK(again->callId() == first->callId());
  CHECK(first->from()->tag() == "off42");
  CHECK(again->from()->tag() == "off42");
  CHECK(first->header(kOfflineIdHeader) == "42");
  CHECK(again->header(proxy::sip::HeaderName::CSeq) == "1 MESSAGE");
  stored.id = 43;
  auto next = proxy::sip::SipMessage::parse(
      buildPageRequest(PageMessage::fromStored(stored), "sip:dave@192.0.2.5", "Confab"));
  CHECK(next->callId() != first->callId());
  // A live message gets a fresh identity each time, and no offline id.
  PageMessage live;
  live.from = "<sip:alice@example.test>";
  live.to = "<sip:dave@example.test>";
  live.to_aor = "dave@example.test";
  auto a = proxy::sip::SipMessage::parse(buildPageRequest(live, "sip:dave@192.0.2.5", "C"));
  auto b = proxy::sip::SipMessage::parse(buildPageRequest(live, "sip:dave@192.0.2.5", "C"));
  CHECK(a->callId() != b->callId());
  CHECK(a->header(kOfflineIdHeader).empty());
}

}  // namespace
}  // namespace core::im
