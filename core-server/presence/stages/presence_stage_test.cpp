// SPDX-License-Identifier: Apache-2.0
// The SIP-facing helpers of the presence stage; the stage end to end is covered
// by tests/integration/test_presence.py (it needs a running router).
#include <doctest/doctest.h>

#include "core-server/presence/stages/presence_stage.h"
#include "core-server/presence/stages/sip_notifier.h"
#include "proxy/sip/sip_message.h"

namespace core::presence {

TEST_CASE("stage: Event header parsing") {
  EventHeader e = parseEvent("Presence ; id=abc;foo");
  CHECK(e.package == "presence");
  CHECK(e.id == "abc");
  CHECK(parseEvent("").package.empty());
  CHECK(parseEvent("presence.winfo").package == "presence.winfo");
}

TEST_CASE("stage: our dialog Contact names the flow's address and the shard") {
  proxy::routing::LocalAddresses us;
  us.addDomain("example.test");
  us.addListener(proxy::transport::Protocol::Tcp, "127.0.0.1", 5070);
  proxy::transport::Flow flow;
  flow.protocol = proxy::transport::Protocol::Tcp;
  flow.local = *proxy::transport::Address::fromIpPort("127.0.0.1", 5070);
  CHECK(dialogContact("alice", flow, us, 2) == "<sip:alice@127.0.0.1:5070;transport=tcp;sh=2>");
  flow.local = *proxy::transport::Address::fromIpPort("0.0.0.0", 5070);
  CHECK(dialogContact("alice", flow, us, 0) == "<sip:alice@127.0.0.1:5070;transport=tcp;sh=0>");
}

TEST_CASE("notifier: the NOTIFY follows the dialog state") {
  DialogState d;
  d.call_id = "c1";
  d.local_tag = "ours";
  d.remote_tag = "theirs";
  d.local_uri = "sip:alice@example.test";
  d.remote_uri = "sip:bob@example.test";
  d.remote_target = "sip:bob@192.0.2.1:5060;transport=tcp";
  d.route_set = {"<sip:192.0.2.50;lr>", "<sip:192.0.2.51;lr>"};
  d.local_contact = "<sip:alice@127.0.0.1:5070;transport=tcp;sh=1>";
  d.local_cseq = 7;
  NotifyMessage m;
  m.dialog = &d;
  m.event = "presence";
  m.event_id = "x";
  m.subscription_state = "active;expires=60";
  m.content_type = "application/pidf+xml";
  m.body = std::make_shared<const std::string>("<presence/>");
  auto parsed = proxy::sip::SipMessage::parse(buildNotify(m, "Confab"));
  REQUIRE(parsed);
  CHECK(parsed->method() == proxy::sip::Method::Notify);
  CHECK(parsed->requestUri() == d.remote_target);
  CHECK(parsed->headers(proxy::sip::HeaderName::Route).size() == 2);
  CHECK(parsed->header(proxy::sip::HeaderName::Route) == "<sip:192.0.2.50;lr>");
  CHECK(parsed->from()->tag() == "ours");
  CHECK(parsed->to()->tag() == "theirs");
  CHECK(parsed->cseq()->number == 7);
  CHECK(parsed->header(proxy::sip::HeaderName::Event) == "presence;id=x");
  CHECK(parsed->header(proxy::sip::HeaderName::SubscriptionState) == "active;expires=60");
  CHECK(parsed->body() == "<presence/>");
  m.body = nullptr;
  auto empty = proxy::sip::SipMessage::parse(buildNotify(m, "Confab"));
  REQUIRE(empty);
  CHECK(empty->body().empty());
  CHECK_FALSE(empty->has(proxy::sip::HeaderName::ContentType));
}

}  // namespace core::presence
