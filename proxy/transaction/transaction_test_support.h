// SPDX-License-Identifier: Apache-2.0
// Shared fixtures for the transaction tests: a MessageSender that records what
// was sent (and can fail on demand), flows, canned requests and a helper that
// answers a request we sent. Test-only; single-threaded.
#pragma once

#include <doctest/doctest.h>

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/clock.h"
#include "proxy/sip/sip_message.h"
#include "proxy/transaction/message_sender.h"
#include "proxy/transaction/transaction_layer.h"

namespace proxy::transaction::testing {

struct Sent {
  transport::Flow flow;
  std::string bytes;
};

class FakeSender final : public MessageSender {
 public:
  void send(const transport::Flow& to, std::string bytes, Done done) override {
    sent.push_back(Sent{to, std::move(bytes)});
    if (fail_next > 0) {
      --fail_next;
      done(false);
    } else {
      done(true);
    }
  }
  std::string_view last() const { return sent.empty() ? std::string_view() : sent.back().bytes; }

  std::vector<Sent> sent;
  int fail_next = 0;  // the next N sends report failure (synchronously, as a local write would)
};

inline transport::Flow flowOf(transport::Protocol protocol) {
  transport::Flow flow;
  flow.protocol = protocol;
  flow.connection_id = protocol == transport::Protocol::Udp ? 0 : 7;
  return flow;
}
inline transport::Flow udp() { return flowOf(transport::Protocol::Udp); }
inline transport::Flow tcp() { return flowOf(transport::Protocol::Tcp); }

inline sip::SipMessage parseOrFail(std::string_view text) {
  auto parsed = sip::SipMessage::parse(text);
  REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? std::string() : parsed.error().detail));
  return std::move(*parsed);
}

inline std::string firstLine(std::string_view bytes) {
  return std::string(bytes.substr(0, bytes.find("\r\n")));
}

// A request from a UA at client.example.com; `method` goes in the start line and CSeq.
inline std::string request(std::string_view method, std::string_view branch,
                           std::string_view call_id = "a84b4c76e66710@client.example.com",
                           std::string_view via_host = "client.example.com:5060") {
  std::string text;
  text += std::string(method) + " sip:bob@example.com SIP/2.0\r\n";
  text += "Via: SIP/2.0/UDP " + std::string(via_host) + ";branch=" + std::string(branch) + "\r\n";
  text += "Max-Forwards: 70\r\n";
  text += "From: Alice <sip:alice@example.com>;tag=1928301774\r\n";
  text += "To: Bob <sip:bob@example.com>\r\n";
  text += "Call-ID: " + std::string(call_id) + "\r\n";
  text += "CSeq: 314159 " + std::string(method == "ACK" ? "ACK" : method) + "\r\n";
  text += "Content-Length: 0\r\n\r\n";
  return text;
}

// The ACK a UA sends for a non-2xx final with To tag `to_tag` (RFC 3261 §17.1.1.3).
inline std::string ackFor(std::string_view branch, std::string_view to_tag) {
  std::string text = request("ACK", branch);
  const std::string to = "To: Bob <sip:bob@example.com>\r\n";
  text.replace(text.find(to), to.size(),
               "To: Bob <sip:bob@example.com>;tag=" + std::string(to_tag) + "\r\n");
  return text;
}

// A response to a request we sent (as captured by FakeSender).
inline sip::SipMessage answer(std::string_view sent_request, int status,
                              std::string_view to_tag = "") {
  sip::SipMessage req = parseOrFail(sent_request);
  sip::ResponseBuilder builder(req, status, sip::defaultReason(status));
  if (!to_tag.empty()) {
    builder.toTag(to_tag);
  }
  return parseOrFail(builder.build());
}

// A response to a request we received, as the routing layer would build it.
inline std::string reply(std::string_view received_request, int status,
                         std::string_view to_tag = "") {
  sip::SipMessage req = parseOrFail(received_request);
  sip::ResponseBuilder builder(req, status, sip::defaultReason(status));
  if (!to_tag.empty()) {
    builder.toTag(to_tag);
  }
  return builder.build();
}

// Records what a client transaction hands its owner.
struct Responses {
  struct Got {
    int status;
    bool final;
    std::string bytes;
  };
  ResponseHandler handler() {
    return [this](sip::SipMessage&& response, bool final) {
      got.push_back(Got{response.statusCode(), final, response.serialize()});
    };
  }
  std::vector<Got> got;
};

// One layer on shard 3 over a manual clock and a fake sender.
struct Harness {
  explicit Harness(TimerConfig timers = {}) : layer(clock, sender, 3, timers) {}
  void advance(int64_t ms) {
    clock.advanceMs(ms);
    layer.runTimers();
  }
  ManualClock clock;
  FakeSender sender;
  TransactionLayer layer;
};

}  // namespace proxy::transaction::testing
