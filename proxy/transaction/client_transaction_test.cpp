// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "proxy/transaction/branch.h"
#include "proxy/transaction/transaction_test_support.h"

using namespace proxy;
using namespace proxy::transaction;
using namespace proxy::transaction::testing;

namespace {

constexpr std::string_view kSentBy = "proxy.example.net:5060";

// An outgoing request as the routing layer hands it over (its own Via still on it).
std::string outgoing(std::string_view method) {
  std::string text = request(method, "z9hG4bKupstream");
  const std::string via_end = "\r\nMax-Forwards";
  // Add a Route so ACK and CANCEL must copy it.
  text.insert(text.find(via_end) + 2, "Route: <sip:edge.example.net;lr>\r\n");
  return text;
}

ClientTransactionId send(Harness& h, std::string_view method, Responses& responses,
                         const transport::Flow& to = udp()) {
  return h.layer.sendRequest(parseOrFail(outgoing(method)), to, kSentBy, responses.handler());
}

}  // namespace

TEST_CASE("sendRequest prepends our Via with a shard-tagged branch and rport") {
  Harness h;
  Responses responses;
  const ClientTransactionId id = send(h, "OPTIONS", responses);
  CHECK(id != 0);
  CHECK(h.layer.hasClient(id));
  REQUIRE(h.sender.sent.size() == 1);
  sip::SipMessage sent = parseOrFail(h.sender.last());
  auto vias = sent.headers(sip::HeaderName::Via);
  REQUIRE(vias.size() == 2);
  CHECK(vias[0].starts_with("SIP/2.0/UDP proxy.example.net:5060;branch=z9hG4bK-3-"));
  CHECK(vias[0].ends_with(";rport"));
  CHECK(vias[1] == "SIP/2.0/UDP client.example.com:5060;branch=z9hG4bKupstream");
  auto via = sent.topVia();
  REQUIRE(via);
  CHECK(TransactionLayer::shardOfBranch(via->branch()) == 3u);

  h.layer.sendRequest(parseOrFail(outgoing("OPTIONS")), tcp(), kSentBy, {});
  CHECK(parseOrFail(h.sender.last()).header(sip::HeaderName::Via).starts_with("SIP/2.0/TCP "));
}

TEST_CASE("non-INVITE client: timer E at 500, 1000, 2000, 4000, 4000 ms on UDP, then F → 408") {
  Harness h;
  Responses responses;
  const ClientTransactionId id = send(h, "MESSAGE", responses);
  const std::vector<int64_t> expected_at = {500, 1500, 3500, 7500, 11'500, 15'500};
  int64_t now = 0;
  for (size_t i = 0; i < expected_at.size(); ++i) {
    h.advance(expected_at[i] - 1 - now);
    CHECK(h.sender.sent.size() == 1 + i);
    h.advance(1);
    now = expected_at[i];
    REQUIRE(h.sender.sent.size() == 2 + i);
    CHECK(h.sender.last() == h.sender.sent[0].bytes);
  }
  CHECK(responses.got.empty());
  h.advance(32'000 - now - 1);
  CHECK(responses.got.empty());
  h.advance(1);  // timer F = 64*T1
  REQUIRE(responses.got.size() == 1);
  CHECK(responses.got[0].status == 408);
  CHECK(responses.got[0].final);
  // The synthetic response carries our branch, like a real one would.
  sip::SipMessage timeout = parseOrFail(responses.got[0].bytes);
  CHECK(timeout.topVia()->branch() == parseOrFail(h.sender.sent[0].bytes).topVia()->branch());
  CHECK_FALSE(h.layer.hasClient(id));
  const size_t sent = h.sender.sent.size();
  h.advance(60'000);
  CHECK(h.sender.sent.size() == sent);
  CHECK(responses.got.size() == 1);
}

TEST_CASE("non-INVITE client: no retransmissions over TCP, timer F still applies") {
  Harness h;
  Responses responses;
  send(h, "MESSAGE", responses, tcp());
  h.advance(31'999);
  CHECK(h.sender.sent.size() == 1);
  h.advance(1);
  REQUIRE(responses.got.size() == 1);
  CHECK(responses.got[0].status == 408);
}

TEST_CASE("non-INVITE client: a provisional switches timer E to T2; the final completes it") {
  Harness h;
  Responses responses;
  const ClientTransactionId id = send(h, "SUBSCRIBE", responses);
  const std::string sent = std::string(h.sender.last());
  h.advance(500);  // first retransmission; next would be at +1000
  CHECK(h.sender.sent.size() == 2);
  CHECK(h.layer.receiveResponse(answer(sent, 100), udp()));
  CHECK(h.layer.clientState(id) == ClientState::Proceeding);
  h.advance(1000);  // the pending timer E fires, then T2 intervals
  CHECK(h.sender.sent.size() == 3);
  h.advance(3999);
  CHECK(h.sender.sent.size() == 3);
  h.advance(1);
  CHECK(h.sender.sent.size() == 4);

  CHECK(h.layer.receiveResponse(answer(sent, 200, "sub1"), udp()));
  CHECK(h.layer.clientState(id) == ClientState::Completed);
  REQUIRE(responses.got.size() == 2);
  CHECK(responses.got[0].status == 100);
  CHECK_FALSE(responses.got[0].final);
  CHECK(responses.got[1].status == 200);
  CHECK(responses.got[1].final);
  // Timer K absorbs the retransmitted final.
  CHECK(h.layer.receiveResponse(answer(sent, 200, "sub1"), udp()));
  CHECK(responses.got.size() == 2);
  h.advance(10'000);
  CHECK(h.sender.sent.size() == 4);
  CHECK_FALSE(h.layer.hasClient(id));  // timer K = T4
}

TEST_CASE("responses match by branch and CSeq method (RFC 3261 §17.1.3)") {
  Harness h;
  Responses responses;
  send(h, "INVITE", responses);
  const std::string invite = std::string(h.sender.last());
  // A 200 to a CANCEL carries the same branch but does not match the INVITE.
  std::string cancel_200 = answer(invite, 200, "x").serialize();
  const std::string cseq = "CSeq: 314159 INVITE";
  cancel_200.replace(cancel_200.find(cseq), cseq.size(), "CSeq: 314159 CANCEL");
  CHECK_FALSE(h.layer.receiveResponse(parseOrFail(cancel_200), udp()));
  // Neither does a response for another branch.
  std::string other = answer(invite, 180).serialize();
  const size_t at = other.find("z9hG4bK-3-");
  other.replace(at, 10, "z9hG4bK-4-");
  CHECK_FALSE(h.layer.receiveResponse(parseOrFail(other), udp()));
  CHECK(responses.got.empty());
  CHECK(h.layer.receiveResponse(answer(invite, 180), udp()));
  CHECK(responses.got.size() == 1);
}

TEST_CASE("INVITE client: a 486 is ACKed here with the §17.1.1.3 headers") {
  Harness h;
  Responses responses;
  const ClientTransactionId id = send(h, "INVITE", responses);
  sip::SipMessage invite = parseOrFail(h.sender.last());
  const std::string invite_bytes = std::string(h.sender.last());
  CHECK(h.layer.receiveResponse(answer(invite_bytes, 486, "busy7"), udp()));
  REQUIRE(responses.got.size() == 1);
  CHECK(responses.got[0].status == 486);
  CHECK(responses.got[0].final);
  CHECK(h.layer.clientState(id) == ClientState::Completed);

  REQUIRE(h.sender.sent.size() == 2);
  sip::SipMessage ack = parseOrFail(h.sender.last());
  CHECK(ack.method() == sip::Method::Ack);
  CHECK(ack.requestUri() == invite.requestUri());
  CHECK(ack.count(sip::HeaderName::Via) == 1);
  CHECK(ack.header(sip::HeaderName::Via) == invite.header(sip::HeaderName::Via));
  CHECK(ack.callId() == invite.callId());
  CHECK(ack.header(sip::HeaderName::From) == invite.header(sip::HeaderName::From));
  CHECK(ack.to()->tag() == "busy7");
  CHECK(ack.cseq()->number == invite.cseq()->number);
  CHECK(ack.cseq()->method == "ACK");
  CHECK(ack.headers(sip::HeaderName::Route) == invite.headers(sip::HeaderName::Route));

  // A retransmitted 486 is answered with the same ACK and not passed up.
  CHECK(h.layer.receiveResponse(answer(invite_bytes, 486, "busy7"), udp()));
  REQUIRE(h.sender.sent.size() == 3);
  CHECK(h.sender.sent[2].bytes == h.sender.sent[1].bytes);
  CHECK(responses.got.size() == 1);
  CHECK_FALSE(h.layer.cancelClient(id));  // a final arrived: nothing to cancel
  h.advance(31'999);
  CHECK(h.layer.hasClient(id));
  h.advance(1);  // timer D
  CHECK_FALSE(h.layer.hasClient(id));
}

TEST_CASE("INVITE client: timer A doubles on UDP and timer B gives a 408") {
  Harness h;
  Responses responses;
  send(h, "INVITE", responses);
  // RFC 3261 §17.1.1.2: T1, 2*T1, 4*T1, ... with no cap: 500, 1500, 3500, 7500, 15500, 31500.
  for (int64_t interval : {500, 1000, 2000, 4000, 8000, 16'000}) {
    const size_t before = h.sender.sent.size();
    h.advance(interval - 1);
    CHECK(h.sender.sent.size() == before);
    h.advance(1);
    CHECK(h.sender.sent.size() == before + 1);
  }
  h.advance(499);
  CHECK(h.sender.sent.size() == 7);
  CHECK(responses.got.empty());
  h.advance(1);
  REQUIRE(responses.got.size() == 1);
  CHECK(responses.got[0].status == 408);
  CHECK(h.layer.clientCount() == 0);
}

TEST_CASE("INVITE client: a provisional stops timer A; 2xx moves to Accepted (RFC 6026)") {
  Harness h;
  Responses responses;
  const ClientTransactionId id = send(h, "INVITE", responses);
  const std::string invite = std::string(h.sender.last());
  CHECK(h.layer.receiveResponse(answer(invite, 180, "a"), udp()));
  h.advance(10'000);
  CHECK(h.sender.sent.size() == 1);
  CHECK(h.layer.receiveResponse(answer(invite, 200, "a"), udp()));
  CHECK(h.layer.clientState(id) == ClientState::Accepted);
  CHECK(h.sender.sent.size() == 1);  // no ACK for a 2xx: that is end to end
  // A retransmitted 2xx and a 2xx from another fork still reach the handler.
  CHECK(h.layer.receiveResponse(answer(invite, 200, "a"), udp()));
  CHECK(h.layer.receiveResponse(answer(invite, 200, "b"), udp()));
  REQUIRE(responses.got.size() == 4);
  CHECK(responses.got[3].final);
  h.advance(32'000);  // timer M
  CHECK_FALSE(h.layer.hasClient(id));
}

TEST_CASE("INVITE client: CANCEL after a 180 (RFC 3261 §9.1)") {
  Harness h;
  Responses responses;
  const ClientTransactionId id = send(h, "INVITE", responses);
  sip::SipMessage invite = parseOrFail(h.sender.last());
  const std::string invite_bytes = std::string(h.sender.last());
  CHECK(h.layer.receiveResponse(answer(invite_bytes, 180, "r1"), udp()));
  REQUIRE(h.layer.cancelClient(id));
  REQUIRE(h.sender.sent.size() == 2);
  const std::string cancel_bytes = std::string(h.sender.last());
  sip::SipMessage cancel = parseOrFail(cancel_bytes);
  CHECK(cancel.method() == sip::Method::Cancel);
  CHECK(cancel.requestUri() == invite.requestUri());
  CHECK(cancel.count(sip::HeaderName::Via) == 1);
  CHECK(cancel.header(sip::HeaderName::Via) == invite.header(sip::HeaderName::Via));
  CHECK(cancel.callId() == invite.callId());
  CHECK(cancel.header(sip::HeaderName::From) == invite.header(sip::HeaderName::From));
  CHECK(cancel.header(sip::HeaderName::To) == invite.header(sip::HeaderName::To));
  CHECK(cancel.cseq()->number == invite.cseq()->number);
  CHECK(cancel.cseq()->method == "CANCEL");
  CHECK(cancel.headers(sip::HeaderName::Route) == invite.headers(sip::HeaderName::Route));
  CHECK(h.layer.clientCount() == 2);  // the CANCEL runs its own transaction

  CHECK(h.layer.cancelClient(id));  // idempotent: no second CANCEL
  CHECK(h.sender.sent.size() == 2);

  // The CANCEL's 200 is absorbed by its own transaction; the INVITE ends with 487.
  CHECK(h.layer.receiveResponse(answer(cancel_bytes, 200), udp()));
  CHECK(responses.got.size() == 1);
  CHECK(h.layer.receiveResponse(answer(invite_bytes, 487, "r1"), udp()));
  REQUIRE(responses.got.size() == 2);
  CHECK(responses.got[1].status == 487);
  CHECK(parseOrFail(h.sender.last()).method() == sip::Method::Ack);
}

TEST_CASE("INVITE client: a CANCEL before any provisional waits for one") {
  Harness h;
  Responses responses;
  const ClientTransactionId id = send(h, "INVITE", responses);
  const std::string invite_bytes = std::string(h.sender.last());
  REQUIRE(h.layer.cancelClient(id));
  CHECK(h.sender.sent.size() == 1);  // §9.1: not before a provisional
  h.advance(500);                    // timer A still retransmits the INVITE
  REQUIRE(h.sender.sent.size() == 2);
  CHECK(parseOrFail(h.sender.last()).method() == sip::Method::Invite);
  CHECK(h.layer.receiveResponse(answer(invite_bytes, 100), udp()));
  REQUIRE(h.sender.sent.size() == 3);
  CHECK(parseOrFail(h.sender.last()).method() == sip::Method::Cancel);

  SUBCASE("a final first means no CANCEL at all") {
    Harness h2;
    Responses r2;
    const ClientTransactionId id2 = send(h2, "INVITE", r2);
    const std::string bytes2 = std::string(h2.sender.last());
    REQUIRE(h2.layer.cancelClient(id2));
    CHECK(h2.layer.receiveResponse(answer(bytes2, 486, "b"), udp()));
    REQUIRE(h2.sender.sent.size() == 2);
    CHECK(parseOrFail(h2.sender.last()).method() == sip::Method::Ack);
    h2.advance(64'000);
    for (const Sent& s : h2.sender.sent) {
      CHECK(firstLine(s.bytes).rfind("CANCEL", 0) == std::string::npos);
    }
  }
}

TEST_CASE("INVITE client: no final within 64*T1 of the CANCEL gives a synthetic 487") {
  Harness h;
  Responses responses;
  const ClientTransactionId id = send(h, "INVITE", responses, tcp());
  const std::string invite_bytes = std::string(h.sender.last());
  CHECK(h.layer.receiveResponse(answer(invite_bytes, 180, "r"), tcp()));
  REQUIRE(h.layer.cancelClient(id));
  h.advance(32'000);
  REQUIRE(responses.got.size() == 2);
  CHECK(responses.got[1].status == 487);
  CHECK_FALSE(h.layer.hasClient(id));
}

TEST_CASE("a transport failure is delivered as a synthetic 503") {
  Harness h;
  Responses responses;
  h.sender.fail_next = 1;
  const ClientTransactionId id = send(h, "INVITE", responses, tcp());
  CHECK(id != 0);
  CHECK(responses.got.empty());  // never inside sendRequest()
  h.layer.runTimers();
  REQUIRE(responses.got.size() == 1);
  CHECK(responses.got[0].status == 503);
  CHECK(responses.got[0].final);
  CHECK_FALSE(h.layer.hasClient(id));
}

TEST_CASE("ACK and BENOTIFY are sent without a transaction") {
  Harness h;
  Responses responses;
  CHECK(send(h, "ACK", responses) == 0);
  CHECK(send(h, "BENOTIFY", responses) == 0);
  CHECK(h.sender.sent.size() == 2);
  CHECK(h.layer.clientCount() == 0);
  h.advance(64'000);
  CHECK(h.sender.sent.size() == 2);
}

TEST_CASE("a detached client transaction runs on without calling its handler") {
  Harness h;
  Responses responses;
  const ClientTransactionId id = send(h, "OPTIONS", responses);
  h.layer.detachClient(id);
  h.advance(32'000);
  CHECK(responses.got.empty());
  CHECK_FALSE(h.layer.hasClient(id));
}

TEST_CASE("a handler may detach its own transaction and start another") {
  Harness h;
  Responses responses;
  ClientTransactionId id = 0;
  int calls = 0;
  id = h.layer.sendRequest(
      parseOrFail(outgoing("INVITE")), udp(), kSentBy, [&](sip::SipMessage&&, bool) {
        ++calls;
        h.layer.detachClient(id);
        h.layer.sendRequest(parseOrFail(outgoing("OPTIONS")), udp(), kSentBy, responses.handler());
      });
  const std::string invite_bytes = std::string(h.sender.last());
  CHECK(h.layer.receiveResponse(answer(invite_bytes, 180, "x"), udp()));
  CHECK(h.layer.receiveResponse(answer(invite_bytes, 183, "x"), udp()));
  CHECK(calls == 1);
  CHECK(h.layer.clientCount() == 2);
}
