// SPDX-License-Identifier: Apache-2.0
// The routing layer's counters, resolved once so bumping one on the message
// path is a single relaxed atomic add: requests by method, responses and
// replies by class, and drops by reason.
#pragma once

#include <array>

#include "proxy/base/counters.h"
#include "proxy/sip/sip_message.h"

namespace proxy::routing {

struct RoutingCounters {
  static RoutingCounters& get();

  void countRequest(sip::Method method) const { by_method[static_cast<size_t>(method)].add(); }
  void countResponse(int status) const { responses_in[classOf(status)].add(); }
  void countReply(int status) const { replies_out[classOf(status)].add(); }

  std::array<counters::Counter, 17> by_method;
  std::array<counters::Counter, 7> responses_in;  // index = status / 100 (0 = invalid)
  std::array<counters::Counter, 7> replies_out;
  counters::Counter parse_errors_answered, parse_errors_dropped, invalid_requests,
      invalid_responses, stray_responses, unroutable_acks, late_replies, forwarded,
      loops_detected, forged_routes;

 private:
  RoutingCounters();
  static size_t classOf(int status) { return (status >= 100 && status < 700) ? status / 100 : 0; }
};

}  // namespace proxy::routing
