// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/stages/session_requests.h"

#include <doctest/doctest.h>

#include "core-server/im/im_formats.h"
#include "proxy/sip/sip_message.h"

namespace core::im {
namespace {

using proxy::sip::HeaderName;

SessionDialog dialog() {
  SessionDialog d;
  d.call_id = "c1@confab-im";
  d.local_tag = "ours";
  d.local = "<sip:alice@example.test>";
  d.remote = "<sip:bob@example.test>";
  d.remote_target = "sip:bob@192.0.2.7:50123;transport=tcp";
  d.local_contact = "<sip:im-bridge@192.0.2.1:5060;transport=tcp;sh=2>";
  return d;
}

TEST_CASE("session INVITE: SDP offer, first message inline, conversation id") {
  const std::string sdp = imSessionSdp("192.0.2.1");
  auto invite = proxy::sip::SipMessage::parse(
      buildSessionInvite(dialog(), "sip:bob@192.0.2.7:50123;transport=tcp", "conv1",
                         buildMsTextFormat("text/plain", "hello bob"), sdp, "Confab"));
  REQUIRE(invite);
  CHECK(invite->method() == proxy::sip::Method::Invite);
  CHECK(invite->from()->tag() == "ours");
  CHECK(invite->to()->tag().empty());
  CHECK(invite->cseq()->number == 1);
  CHECK(invite->header("Ms-Conversation-ID") == "conv1");
  auto first = parseMsTextFormat(invite->header("ms-text-format"));
  REQUIRE(first);
  CHECK(first->body == "hello bob");
  CHECK(invite->header(HeaderName::ContentType) == "application/sdp");
  CHECK(offersImSession(invite->body()));
  CHECK(invite->header(HeaderName::Contact).find(";sh=2>") != std::string_view::npos);
}

TEST_CASE("in-dialog requests carry both tags and the next CSeq") {
  SessionDialog d = dialog();
  d.remote_tag = "theirs";
  auto info = proxy::sip::SipMessage::parse(buildInDialogRequest(
      d, "INFO", 3, kKeyboardActivityType, buildKeyboardActivity(true), "Confab"));
  REQUIRE(info);
  CHECK(info->requestUri() == d.remote_target);
  CHECK(info->to()->tag() == "theirs");
  CHECK(info->from()->tag() == "ours");
  CHECK(info->cseq()->number == 3);
  CHECK(info->cseq()->method == "INFO");
  CHECK(parseKeyboardActivity(info->body()) == true);
  auto bye = proxy::sip::SipMessage::parse(buildInDialogRequest(d, "BYE", 4, {}, {}, "Confab"));
  REQUIRE(bye);
  CHECK_FALSE(bye->has(HeaderName::ContentType));
  auto ack = proxy::sip::SipMessage::parse(buildAck(d, "sip:bob@192.0.2.7", "t2"));
  REQUIRE(ack);
  CHECK(ack->cseq()->number == 1);
  CHECK(ack->cseq()->method == "ACK");
  CHECK(ack->to()->tag() == "t2");
}

TEST_CASE("forked INVITEs: the answer the sender gets") {
  CHECK(bestFinalStatus({}) == 0);
  CHECK(bestFinalStatus({486, 480}) == 480);
  CHECK(bestFinalStatus({408, 603}) == 603);
  CHECK(bestFinalStatus({600, 404}) == 600);
}

}  // namespace
}  // namespace core::im
