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

}  // namespace
}  // namespace core::im
