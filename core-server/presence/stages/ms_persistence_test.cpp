// SPDX-License-Identifier: Apache-2.0
// The OCS/Lync self subscriptions and batches survive a restart: on a real (never
// started) shard router, a client's SUBSCRIBEs to itself and its batched category
// SUBSCRIBE are stored; a new MsPresence over the same store (the restart) answers
// refreshes inside those dialogs with 200, a state change reaches a restored self
// dialog, and records go when the dialogs end or expire.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "core-server/presence/service/service_testing.h"
#include "core-server/presence/stages/ms_presence.h"
#include "core-server/presence/stages/ms_presence_stage.h"
#include "core-server/presence/stages/ms_renderer.h"
#include "core-server/registrar/registrar_testing.h"
#include "proxy/routing/shard_router.h"

namespace core::presence {
namespace {

namespace routing = proxy::routing;
namespace transport = proxy::transport;
using registrar::testing::makeUser;
using registrar::testing::parseOrDie;
using registrar::testing::testFlow;

const std::string kVictor = "alice@example.test";  // a user of the registrar harness

// One "process": router, presence service and MsPresence over a store that outlives it.
struct Run {
  Run(proxy::ManualClock& clock, MemoryPresenceStateStore& store)
      : shards(1),
        transports(shards, {}, {}),
        router((us.addDomain("example.test"), shards.shard(0)), transports, us, {}, peers),
        users(registrar::UserTable::build(
            {}, {makeUser("alice", "secret"), makeUser("bob", "hunter2")})),
        service(clock, options(), sink, &store),
        ms(router, service, clock, MsOptions{}, ms_peers, &store) {
    peers.push_back(&router);
    ms_peers.push_back(&ms);
    service.renderers().add(std::make_unique<MsCategoriesRenderer>(clock));
    router.pipeline().add(std::make_unique<MsPresenceStage>(ms, users, "example.test"));
    router.setOutboundFilter(
        [this](const transport::Flow&, std::string& bytes) { sent.push_back(bytes); });
    auto records = store.load();
    auto all = [](std::string_view) { return true; };
    service.load(records, all);
    ms.load(records, all);
  }
  static PresenceOptions options() {
    PresenceOptions o;
    o.min_notify_interval_ms = 0;
    return o;
  }

  void receive(const std::string& text) {
    transport::Inbound in;
    in.bytes = std::make_unique<char[]>(text.size());
    text.copy(in.bytes.get(), text.size());
    in.size = text.size();
    in.flow = testFlow();
    router.onInbound(std::move(in));
  }
  // The last message we sent that starts with `start` ("SIP/2.0 200", "NOTIFY", ...).
  std::optional<proxy::sip::SipMessage> last(std::string_view start) const {
    for (auto it = sent.rbegin(); it != sent.rend(); ++it) {
      if (it->starts_with(start)) {
        return parseOrDie(*it);
      }
    }
    return std::nullopt;
  }

  proxy::uv::ShardSet shards;
  transport::Transports transports;
  routing::LocalAddresses us;
  std::vector<routing::ShardRouter*> peers;
  routing::ShardRouter router;
  registrar::UserDirectory users;
  testing::RecordingSink sink;
  PresenceService service;
  std::vector<MsPresence*> ms_peers;
  MsPresence ms;
  std::vector<std::string> sent;
};

std::string subscribe(std::string_view call_id, std::string_view event, int cseq,
                      std::string_view to_tag = {}, int expires = 600,
                      std::string_view content_type = {}, std::string_view body = {}) {
  std::string to = "<sip:alice@example.test>";
  if (!to_tag.empty()) {
    to += ";tag=" + std::string(to_tag);
  }
  std::string text =
      "SUBSCRIBE sip:alice@example.test SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-" +
      std::string(call_id) + std::to_string(cseq) +
      "\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:alice@example.test>;tag=vtag\r\n"
      "To: " +
      to +
      "\r\n"
      "Call-ID: " +
      std::string(call_id) +
      "\r\n"
      "CSeq: " +
      std::to_string(cseq) +
      " SUBSCRIBE\r\n"
      "Contact: <sip:alice@192.0.2.10:5060>\r\n"
      "Event: " +
      std::string(event) +
      "\r\n"
      "Supported: ms-benotify\r\n"
      "Expires: " +
      std::to_string(expires) + "\r\n";
  if (!content_type.empty()) {
    text += "Content-Type: " + std::string(content_type) + "\r\n";
  }
  text += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
  return text;
}

std::string soapSetContact(std::string_view uri) {
  std::string body =
      "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
      "xmlns:m=\"http://schemas.microsoft.com/winrtc/2002/11/sip\"><s:Body><m:setContact>"
      "<m:displayName>B</m:displayName><m:groups>1</m:groups><m:subscribed>true</m:subscribed>"
      "<m:URI>" +
      std::string(uri) + "</m:URI><m:deltaNum>1</m:deltaNum></m:setContact></s:Body></s:Envelope>";
  return "SERVICE sip:alice@example.test SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-service1\r\n"
         "Max-Forwards: 70\r\n"
         "From: <sip:alice@example.test>;tag=stag\r\n"
         "To: <sip:alice@example.test>\r\n"
         "Call-ID: service-1\r\n"
         "CSeq: 1 SERVICE\r\n"
         "Content-Type: application/SOAP+xml\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string batchSubscribe(std::string_view call_id, int cseq, std::string_view to_tag = {},
                           int expires = 600) {
  const std::string body =
      "<batchSub xmlns=\"http://schemas.microsoft.com/2006/01/sip/batch-subscribe\" "
      "uri=\"sip:alice@example.test\" name=\"\"><action name=\"subscribe\" id=\"1\"><adhocList>"
      "<resource uri=\"sip:bob@example.test\"/></adhocList><categoryList "
      "xmlns=\"http://schemas.microsoft.com/2006/09/sip/categorylist\"><category name=\"state\"/>"
      "</categoryList></action></batchSub>";
  return subscribe(call_id, "presence", cseq, to_tag, expires,
                   "application/msrtc-adrl-categorylist+xml", body);
}

}  // namespace

TEST_CASE("ms persistence: a self subscription is stored, restored and refreshed with 200") {
  proxy::ManualClock clock;
  MemoryPresenceStateStore store;
  std::string tag;
  {
    Run run(clock, store);
    run.receive(subscribe("self-1", "vnd-microsoft-roaming-contacts", 1));
    auto ok = run.last("SIP/2.0 200");
    REQUIRE(ok);
    tag = std::string(ok->to()->tag());
    CHECK(run.ms.selfDialogCount() == 1);
    CHECK(store.count(RecordKind::MsSelf) == 1);
  }
  clock.advanceMs(5'000);  // the restart
  Run run(clock, store);
  CHECK(run.ms.selfDialogCount() == 1);
  // A change reaches the restored dialog without a new SUBSCRIBE.
  run.receive(soapSetContact("sip:bob@example.test"));
  auto delta = run.last("BENOTIFY");  // the client said it supports them
  REQUIRE(delta);
  CHECK(delta->callId() == "self-1");
  CHECK(std::string(delta->body()).find("bob@example.test") != std::string::npos);
  CHECK(delta->cseq()->number > 1);  // after the stored CSeq bound
  // A refresh: 200, not 481.
  run.sent.clear();
  run.receive(subscribe("self-1", "vnd-microsoft-roaming-contacts", 2, tag));
  auto refreshed = run.last("SIP/2.0");
  REQUIRE(refreshed);
  CHECK(refreshed->statusCode() == 200);
  // Un-SUBSCRIBE: the record goes.
  run.receive(subscribe("self-1", "vnd-microsoft-roaming-contacts", 3, tag, 0));
  CHECK(run.ms.selfDialogCount() == 0);
  CHECK(store.count(RecordKind::MsSelf) == 0);
}

TEST_CASE("ms persistence: self dialogs expire at their stored time, also across a restart") {
  proxy::ManualClock clock;
  MemoryPresenceStateStore store;
  {
    Run run(clock, store);
    run.receive(subscribe("self-2", "presence.wpending", 1, {}, 120));
    run.receive(subscribe("self-3", "vnd-microsoft-roaming-contacts", 1, {}, 3600));
    CHECK(store.count(RecordKind::MsSelf) == 2);
  }
  clock.advanceMs(121'000);  // wpending expired while the server was down
  Run run(clock, store);
  CHECK(run.ms.selfDialogCount() == 1);
  CHECK(store.count(RecordKind::MsSelf) == 1);
  clock.advanceMs(3600'000);
  run.ms.housekeeping();  // the backstop of the expiry timer (the loop does not run here)
  CHECK(run.ms.selfDialogCount() == 0);
  CHECK(store.count(RecordKind::MsSelf) == 0);
}

TEST_CASE("ms persistence: a batch is restored and its refresh reaches the resource") {
  proxy::ManualClock clock;
  MemoryPresenceStateStore store;
  std::string tag;
  {
    Run run(clock, store);
    run.receive(batchSubscribe("batch-1", 1));
    auto ok = run.last("SIP/2.0 200");
    REQUIRE(ok);
    tag = std::string(ok->to()->tag());
    CHECK(run.ms.batchCount() == 1);
    CHECK(store.count(RecordKind::MsBatch) == 1);
    CHECK(store.count(RecordKind::Subscription) == 1);  // bob's, held by the service
  }
  clock.advanceMs(5'000);
  Run run(clock, store);
  CHECK(run.ms.batchCount() == 1);
  REQUIRE(run.service.watchers("bob@example.test").size() == 1);
  const int64_t expires_before = run.service.watchers("bob@example.test")[0].expires_at_unix;
  clock.advanceMs(60'000);
  run.receive(batchSubscribe("batch-1", 2, tag, 900));
  auto refreshed = run.last("SIP/2.0");
  REQUIRE(refreshed);
  CHECK(refreshed->statusCode() == 200);
  // The resource's restored subscription was refreshed through its stored dialog tag.
  REQUIRE(run.service.watchers("bob@example.test").size() == 1);
  CHECK(run.service.watchers("bob@example.test")[0].expires_at_unix > expires_before);
  // Un-SUBSCRIBE ends the batch and its record.
  run.receive(batchSubscribe("batch-1", 3, tag, 0));
  CHECK(run.ms.batchCount() == 0);
  CHECK(store.count(RecordKind::MsBatch) == 0);
}

}  // namespace core::presence
