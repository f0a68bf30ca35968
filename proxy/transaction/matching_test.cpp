// SPDX-License-Identifier: Apache-2.0
// Server-side matching (RFC 3261 §17.2.3), including the RFC 2543 fallback
// exercised by the RFC 4475 messages inv2543 and badbranch.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "proxy/transaction/transaction_key.h"
#include "proxy/transaction/transaction_test_support.h"

using namespace proxy;
using namespace proxy::transaction;
using namespace proxy::transaction::testing;

namespace {

std::string corpus(std::string_view name) {
  const std::string path =
      std::string(CONFAB_SHARED_DIR) + "/conformance/rfc4475/" + std::string(name) + ".dat";
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void replaceOnce(std::string& text, std::string_view from, std::string_view to) {
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
}

ServerTransaction* receive(Harness& h, std::string_view text, bool& absorbed) {
  sip::SipMessage msg = parseOrFail(text);
  return h.layer.receiveRequest(msg, udp(), absorbed);
}

}  // namespace

TEST_CASE("RFC 3261 keys: branch exact, sent-by host case-insensitive, ACK as INVITE") {
  const auto key = [](std::string_view text, std::string_view method) {
    return serverKey(parseOrFail(text), method);
  };
  const std::string invite = request("INVITE", "z9hG4bKabc");
  REQUIRE(key(invite, "INVITE"));
  CHECK(key(invite, "INVITE") == key(request("INVITE", "z9hG4bKabc", "other-call-id"), "INVITE"));
  CHECK(key(invite, "INVITE") ==
        key(request("INVITE", "z9hG4bKabc", "x", "CLIENT.Example.COM:5060"), "INVITE"));
  CHECK(key(invite, "INVITE") != key(request("INVITE", "z9hG4bKABC"), "INVITE"));
  CHECK(key(invite, "INVITE") !=
        key(request("INVITE", "z9hG4bKabc", "x", "client.example.com:5070"), "INVITE"));
  CHECK(key(invite, "INVITE") != key(request("CANCEL", "z9hG4bKabc"), "CANCEL"));
  CHECK(key(invite, "INVITE") == key(request("ACK", "z9hG4bKabc"), "INVITE"));
}

TEST_CASE("RFC 2543 fallback: inv2543 is matched by its dialog and CSeq fields") {
  Harness h;
  const std::string invite = corpus("inv2543");
  bool absorbed = false;
  ServerTransaction* txn = receive(h, invite, absorbed);
  REQUIRE(txn != nullptr);
  const ServerTransactionId id = txn->id();
  REQUIRE(h.sender.sent.size() == 1);  // 100 Trying

  // A retransmission matches (and re-sends the 100).
  CHECK(receive(h, invite, absorbed) == nullptr);
  CHECK(absorbed);
  CHECK(h.sender.sent.size() == 2);

  // Another CSeq, or another Call-ID, is another transaction.
  std::string next = invite;
  replaceOnce(next, "CSeq: 56 INVITE", "CSeq: 57 INVITE");
  CHECK(receive(h, next, absorbed) != nullptr);
  std::string other_call = invite;
  replaceOnce(other_call, "inv2543.1717", "inv2543.1718");
  CHECK(receive(h, other_call, absorbed) != nullptr);
  CHECK(h.layer.serverCount() == 3);

  // A CANCEL with the same fields finds the INVITE (RFC 3261 §9.2).
  std::string cancel = invite.substr(0, invite.find("Content-Type"));
  replaceOnce(cancel, "INVITE sip:", "CANCEL sip:");
  replaceOnce(cancel, "CSeq: 56 INVITE", "CSeq: 56 CANCEL");
  cancel += "\r\n";
  CHECK(h.layer.findInviteServerTransaction(parseOrFail(cancel)) == h.layer.findServer(id));

  // The ACK for our 486 carries our To tag; only that tag matches.
  REQUIRE(h.layer.findServer(id)->respond(486, reply(invite, 486, "gw42")));
  std::string ack = invite.substr(0, invite.find("Content-Type"));
  replaceOnce(ack, "INVITE sip:", "ACK sip:");
  replaceOnce(ack, "CSeq: 56 INVITE", "CSeq: 56 ACK");
  ack += "\r\n";
  std::string wrong_tag = ack;
  replaceOnce(wrong_tag, "user=phone\r\nCall-ID", "user=phone;tag=nope\r\nCall-ID");
  CHECK(receive(h, wrong_tag, absorbed) == nullptr);
  CHECK_FALSE(absorbed);
  replaceOnce(ack, "user=phone\r\nCall-ID", "user=phone;tag=gw42\r\nCall-ID");
  CHECK(receive(h, ack, absorbed) == nullptr);
  CHECK(absorbed);
  CHECK(h.layer.findServer(id)->state() == ServerState::Confirmed);
}

TEST_CASE("RFC 2543 fallback: a bare magic cookie (badbranch) is not a transaction id") {
  Harness h;
  const std::string options = corpus("badbranch");
  bool absorbed = false;
  ServerTransaction* first = receive(h, options, absorbed);
  REQUIRE(first != nullptr);
  CHECK(receive(h, options, absorbed) == nullptr);
  CHECK(absorbed);
  // Same "branch", different Call-ID: under RFC 3261 rules these would collide.
  std::string other = options;
  replaceOnce(other, "badbranch.sadonfo23i420jv0as0derf3j3n", "badbranch.another");
  CHECK(receive(h, other, absorbed) != nullptr);
  CHECK_FALSE(absorbed);
}

TEST_CASE("a request without a usable Via still gets an (unmatchable) transaction") {
  Harness h;
  std::string text = request("OPTIONS", "z9hG4bKx");
  replaceOnce(text, "Via: SIP/2.0/UDP client.example.com:5060;branch=z9hG4bKx\r\n", "");
  auto parsed = sip::SipMessage::parse(text);
  if (!parsed) {
    return;  // the parser already rejects it: nothing for the transaction layer to do
  }
  bool absorbed = true;
  ServerTransaction* txn = h.layer.receiveRequest(*parsed, udp(), absorbed);
  REQUIRE(txn != nullptr);
  CHECK_FALSE(absorbed);
  CHECK(txn->respond(400, "SIP/2.0 400 Missing Via\r\nContent-Length: 0\r\n\r\n"));
}
