// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "proxy/transaction/transaction_test_support.h"

using namespace proxy;
using namespace proxy::transaction;
using namespace proxy::transaction::testing;

namespace {

constexpr std::string_view kBranch = "z9hG4bKnashds8";

struct Received {
  ServerTransaction* txn = nullptr;
  bool absorbed = false;
};

Received receive(Harness& h, std::string_view text, const transport::Flow& from = udp()) {
  sip::SipMessage msg = parseOrFail(text);
  Received r;
  r.txn = h.layer.receiveRequest(msg, from, r.absorbed);
  return r;
}

}  // namespace

TEST_CASE("non-INVITE server: retransmissions are absorbed, the final is re-sent") {
  Harness h;
  const std::string options = request("OPTIONS", kBranch);
  Received first = receive(h, options);
  REQUIRE(first.txn != nullptr);
  CHECK_FALSE(first.absorbed);
  CHECK(first.txn->state() == ServerState::Trying);
  CHECK(h.sender.sent.empty());  // no automatic 100 for non-INVITE (RFC 4320)

  // RFC 3261 §17.2.2: in Trying a retransmission is discarded.
  Received again = receive(h, options);
  CHECK(again.txn == nullptr);
  CHECK(again.absorbed);
  CHECK(h.sender.sent.empty());

  REQUIRE(first.txn->respond(200, reply(options, 200, "srv1")));
  CHECK(first.txn->state() == ServerState::Completed);
  REQUIRE(h.sender.sent.size() == 1);
  CHECK(firstLine(h.sender.last()) == "SIP/2.0 200 OK");

  Received third = receive(h, options);
  CHECK(third.absorbed);
  REQUIRE(h.sender.sent.size() == 2);
  CHECK(h.sender.sent[1].bytes == h.sender.sent[0].bytes);

  CHECK_FALSE(first.txn->respond(500, reply(options, 500)));  // a second final is refused
  CHECK(h.sender.sent.size() == 2);
}

TEST_CASE("non-INVITE server: a provisional is re-sent for a retransmission in Proceeding") {
  Harness h;
  const std::string message = request("MESSAGE", kBranch);
  Received r = receive(h, message);
  REQUIRE(r.txn != nullptr);
  REQUIRE(r.txn->respond(180, reply(message, 180)));
  CHECK(r.txn->state() == ServerState::Proceeding);
  receive(h, message);
  REQUIRE(h.sender.sent.size() == 2);
  CHECK(firstLine(h.sender.sent[1].bytes) == "SIP/2.0 180 Ringing");
}

TEST_CASE("non-INVITE server: timer J is 64*T1 on UDP and zero on TCP") {
  SUBCASE("UDP") {
    Harness h;
    const std::string options = request("OPTIONS", kBranch);
    Received r = receive(h, options);
    REQUIRE(r.txn != nullptr);
    const ServerTransactionId id = r.txn->id();
    int terminated = 0;
    r.txn->setOnTerminated([&] { ++terminated; });
    REQUIRE(r.txn->respond(200, reply(options, 200)));
    h.advance(31'999);
    CHECK(h.layer.serverCount() == 1);
    CHECK(terminated == 0);
    CHECK(receive(h, options).absorbed);
    h.advance(1);
    CHECK(h.layer.serverCount() == 0);
    CHECK(terminated == 1);
    CHECK(h.layer.findServer(id) == nullptr);
    // The same request is now a new transaction.
    Received fresh = receive(h, options);
    CHECK(fresh.txn != nullptr);
    CHECK_FALSE(fresh.absorbed);
  }
  SUBCASE("TCP") {
    Harness h;
    const std::string options = request("OPTIONS", kBranch);
    Received r = receive(h, options, tcp());
    REQUIRE(r.txn != nullptr);
    REQUIRE(r.txn->respond(200, reply(options, 200)));
    CHECK(h.layer.serverCount() == 1);  // terminations never run inside respond()
    h.layer.runTimers();
    CHECK(h.layer.serverCount() == 0);
  }
}

TEST_CASE("INVITE server: 100 Trying at once, re-sent for a retransmitted INVITE") {
  Harness h;
  const std::string invite = request("INVITE", kBranch);
  Received r = receive(h, invite);
  REQUIRE(r.txn != nullptr);
  CHECK(r.txn->isInvite());
  CHECK(r.txn->state() == ServerState::Proceeding);
  REQUIRE(h.sender.sent.size() == 1);
  CHECK(firstLine(h.sender.last()) == "SIP/2.0 100 Trying");
  sip::SipMessage trying = parseOrFail(h.sender.last());
  CHECK(trying.topVia()->branch() == kBranch);

  CHECK(receive(h, invite).absorbed);
  REQUIRE(h.sender.sent.size() == 2);
  CHECK(firstLine(h.sender.last()) == "SIP/2.0 100 Trying");

  REQUIRE(r.txn->respond(180, reply(invite, 180, "t1")));
  CHECK(receive(h, invite).absorbed);
  CHECK(firstLine(h.sender.last()) == "SIP/2.0 180 Ringing");  // the latest provisional
}

TEST_CASE("INVITE server: timer G retransmits a 486 on UDP until the ACK, then timer I") {
  Harness h;
  const std::string invite = request("INVITE", kBranch);
  Received r = receive(h, invite);
  REQUIRE(r.txn != nullptr);
  const ServerTransactionId id = r.txn->id();
  h.sender.sent.clear();
  REQUIRE(r.txn->respond(486, reply(invite, 486, "busy1")));
  CHECK(r.txn->state() == ServerState::Completed);
  CHECK(h.sender.sent.size() == 1);

  // RFC 3261 §17.2.1: T1, then doubling up to T2: at 500, 1500, 3500, 7500, 11500 ms.
  const std::vector<int64_t> expected_at = {500, 1500, 3500, 7500, 11'500};
  int64_t now = 0;
  for (size_t i = 0; i < expected_at.size(); ++i) {
    h.advance(expected_at[i] - 1 - now);
    CHECK(h.sender.sent.size() == 1 + i);
    h.advance(1);
    now = expected_at[i];
    CHECK(h.sender.sent.size() == 2 + i);
    CHECK(firstLine(h.sender.last()) == "SIP/2.0 486 Busy Here");
  }

  Received ack = receive(h, ackFor(kBranch, "busy1"));
  CHECK(ack.txn == nullptr);
  CHECK(ack.absorbed);
  REQUIRE(h.layer.findServer(id) != nullptr);
  CHECK(h.layer.findServer(id)->state() == ServerState::Confirmed);
  const size_t sent = h.sender.sent.size();
  CHECK(receive(h, ackFor(kBranch, "busy1")).absorbed);  // a retransmitted ACK too
  h.advance(4999);
  CHECK(h.sender.sent.size() == sent);  // timer G stopped
  CHECK(h.layer.findServer(id) != nullptr);
  h.advance(1);  // timer I = T4
  CHECK(h.layer.findServer(id) == nullptr);
}

TEST_CASE("INVITE server on TCP: no timer G, and the ACK ends it at once") {
  Harness h;
  const std::string invite = request("INVITE", kBranch);
  Received r = receive(h, invite, tcp());
  REQUIRE(r.txn != nullptr);
  REQUIRE(r.txn->respond(486, reply(invite, 486, "busy1")));
  const size_t sent = h.sender.sent.size();
  h.advance(20'000);
  CHECK(h.sender.sent.size() == sent);
  CHECK(receive(h, ackFor(kBranch, "busy1"), tcp()).absorbed);
  h.layer.runTimers();  // timer I = 0 on a reliable transport
  CHECK(h.layer.serverCount() == 0);
}

TEST_CASE("INVITE server: timer H reports a missing ACK and terminates") {
  Harness h;
  const std::string invite = request("INVITE", kBranch);
  Received r = receive(h, invite);
  REQUIRE(r.txn != nullptr);
  int timeouts = 0;
  std::vector<std::string> order;
  r.txn->setOnTimeout([&] {
    ++timeouts;
    order.push_back("timeout");
  });
  r.txn->setOnTerminated([&] { order.push_back("terminated"); });
  REQUIRE(r.txn->respond(603, reply(invite, 603, "no")));
  h.advance(31'999);
  CHECK(timeouts == 0);
  h.advance(1);  // timer H = 64*T1
  CHECK(timeouts == 1);
  CHECK(order == std::vector<std::string>{"timeout", "terminated"});
  CHECK(h.layer.serverCount() == 0);
}

TEST_CASE("INVITE server: a 2xx moves to Accepted (RFC 6026) for timer L") {
  Harness h;
  const std::string invite = request("INVITE", kBranch);
  Received r = receive(h, invite);
  REQUIRE(r.txn != nullptr);
  const ServerTransactionId id = r.txn->id();
  REQUIRE(r.txn->respond(200, reply(invite, 200, "ok1")));
  CHECK(r.txn->state() == ServerState::Accepted);
  const size_t sent = h.sender.sent.size();

  CHECK(receive(h, invite).absorbed);   // a retransmitted INVITE is not a new request...
  CHECK(h.sender.sent.size() == sent);  // ...and gets no response from us (RFC 6026 §8.6)
  // The TU may still send 2xx (forwarded retransmissions), but no longer a failure.
  CHECK(r.txn->respond(200, reply(invite, 200, "ok1")));
  CHECK_FALSE(r.txn->respond(486, reply(invite, 486, "ok1")));

  // The 2xx ACK is end to end: handed back for stateless forwarding.
  Received ack = receive(h, ackFor(kBranch, "ok1"));
  CHECK(ack.txn == nullptr);
  CHECK_FALSE(ack.absorbed);

  h.advance(32'000);  // timer L
  CHECK(h.layer.findServer(id) == nullptr);
}

TEST_CASE("an ACK that matches nothing is not absorbed") {
  Harness h;
  Received ack = receive(h, ackFor("z9hG4bKunknown", "x"));
  CHECK(ack.txn == nullptr);
  CHECK_FALSE(ack.absorbed);
  CHECK(h.layer.serverCount() == 0);
}

TEST_CASE("a CANCEL is its own transaction and finds the INVITE it cancels") {
  Harness h;
  const std::string invite = request("INVITE", kBranch);
  Received inv = receive(h, invite);
  REQUIRE(inv.txn != nullptr);
  const std::string cancel_text = request("CANCEL", kBranch);
  Received cancel = receive(h, cancel_text);
  REQUIRE(cancel.txn != nullptr);
  CHECK_FALSE(cancel.absorbed);
  CHECK(cancel.txn != inv.txn);
  CHECK(cancel.txn->method() == sip::Method::Cancel);
  sip::SipMessage cancel_msg = parseOrFail(cancel_text);
  CHECK(h.layer.findInviteServerTransaction(cancel_msg) == inv.txn);

  // A CANCEL for another branch or another sent-by finds nothing (RFC 3261 §9.2).
  CHECK(h.layer.findInviteServerTransaction(parseOrFail(request("CANCEL", "z9hG4bKother"))) ==
        nullptr);
  CHECK(h.layer.findInviteServerTransaction(parseOrFail(request(
            "CANCEL", kBranch, "a84b4c76e66710@client.example.com", "evil.example:5060"))) ==
        nullptr);
}

TEST_CASE("the layer-level respond() is safe on a dead id") {
  Harness h;
  const std::string options = request("OPTIONS", kBranch);
  Received r = receive(h, options, tcp());
  REQUIRE(r.txn != nullptr);
  const ServerTransactionId id = r.txn->id();
  CHECK(h.layer.respond(id, 200, reply(options, 200)));
  h.layer.runTimers();
  CHECK_FALSE(h.layer.respond(id, 200, reply(options, 200)));
  CHECK_FALSE(h.layer.respond(0, 200, reply(options, 200)));
}

TEST_CASE("a failed response send reports a transport error and terminates") {
  Harness h;
  const std::string options = request("OPTIONS", kBranch);
  Received r = receive(h, options, tcp());
  REQUIRE(r.txn != nullptr);
  int errors = 0, terminated = 0;
  r.txn->setOnTransportError([&] { ++errors; });
  r.txn->setOnTerminated([&] { ++terminated; });
  h.sender.fail_next = 1;
  REQUIRE(r.txn->respond(180, reply(options, 180)));
  CHECK(errors == 0);  // never inside respond()
  h.layer.runTimers();
  CHECK(errors == 1);
  CHECK(terminated == 1);
  CHECK(h.layer.serverCount() == 0);
}

TEST_CASE("the TU guard ends a server transaction nobody answers") {
  TimerConfig timers;
  timers.tu_guard_ms = 10'000;
  Harness h(timers);
  Received r = receive(h, request("OPTIONS", kBranch));
  REQUIRE(r.txn != nullptr);
  int terminated = 0;
  r.txn->setOnTerminated([&] { ++terminated; });
  h.advance(9'999);
  CHECK(terminated == 0);
  h.advance(1);
  CHECK(terminated == 1);
  CHECK(h.layer.serverCount() == 0);
}

TEST_CASE("BENOTIFY gets no server transaction") {
  Harness h;
  Received r = receive(h, request("BENOTIFY", kBranch));
  CHECK(r.txn == nullptr);
  CHECK_FALSE(r.absorbed);
  CHECK(h.layer.serverCount() == 0);
}

TEST_CASE("an on_terminated callback may call back into the layer") {
  Harness h;
  const std::string options = request("OPTIONS", kBranch);
  Received r = receive(h, options, tcp());
  REQUIRE(r.txn != nullptr);
  const ServerTransactionId id = r.txn->id();
  bool seen_gone = false;
  r.txn->setOnTerminated([&] {
    seen_gone = h.layer.findServer(id) == nullptr;
    // Starting new work from the callback is fine.
    Received other = receive(h, request("OPTIONS", "z9hG4bKsecond"), tcp());
    CHECK(other.txn != nullptr);
  });
  REQUIRE(r.txn->respond(200, reply(options, 200)));
  h.layer.runTimers();
  CHECK(seen_gone);
  CHECK(h.layer.serverCount() == 1);
}

TEST_CASE("100 Trying copies the request's Timestamp (RFC 3261 §8.2.6.1)") {
  Harness h;
  std::string invite = request("INVITE", kBranch);
  invite.insert(invite.find("Content-Length"), "Timestamp: 54.2 0.5\r\n");
  Received r = receive(h, invite);
  REQUIRE(r.txn != nullptr);
  CHECK(parseOrFail(h.sender.last()).header(sip::HeaderName::Timestamp) == "54.2 0.5");
}

TEST_CASE("stale timer entries are compacted away") {
  Harness h;
  for (int i = 0; i < 3000; ++i) {
    const std::string options = request("OPTIONS", "z9hG4bKbulk" + std::to_string(i));
    Received r = receive(h, options, tcp());
    REQUIRE(r.txn != nullptr);
    REQUIRE(r.txn->respond(200, reply(options, 200)));  // timer J = 0 replaces the TU guard
  }
  h.layer.runTimers();
  CHECK(h.layer.serverCount() == 0);
  CHECK(h.layer.pendingTimers() >= 1024);  // the replaced guards are still queued
  receive(h, request("OPTIONS", "z9hG4bKlast"), tcp());
  CHECK(h.layer.pendingTimers() == 1);
}
