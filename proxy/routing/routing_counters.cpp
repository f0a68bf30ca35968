// SPDX-License-Identifier: Apache-2.0
#include "proxy/routing/routing_counters.h"

#include <string>

namespace proxy::routing {
namespace {
counters::Counter named(std::string name) { return counters::get(name); }
}  // namespace

RoutingCounters::RoutingCounters()
    : by_method{},
      parse_errors_answered(named("sip.drop.parse_error_answered")),
      parse_errors_dropped(named("sip.drop.parse_error")),
      invalid_requests(named("sip.drop.invalid_request")),
      invalid_responses(named("sip.drop.invalid_response")),
      stray_responses(named("sip.drop.stray_response")),
      unroutable_acks(named("sip.drop.unroutable_ack")),
      late_replies(named("sip.drop.late_reply")),
      forwarded(named("sip.requests_forwarded")),
      loops_detected(named("sip.drop.loop")),
      forged_routes(named("sip.drop.forged_route")) {}

RoutingCounters& RoutingCounters::get() {
  static RoutingCounters* counters = [] {
    auto* c = new RoutingCounters();
    for (size_t i = 0; i < c->by_method.size(); ++i) {
      std::string_view name = sip::methodName(static_cast<sip::Method>(i));
      c->by_method[i] =
          named("sip.requests_in." + std::string(name.empty() ? "UNKNOWN" : name));
    }
    for (size_t i = 0; i < c->responses_in.size(); ++i) {
      std::string cls = i == 0 ? "invalid" : std::to_string(i) + "xx";
      c->responses_in[i] = named("sip.responses_in." + cls);
      c->replies_out[i] = named("sip.responses_out." + cls);
    }
    return c;
  }();
  return *counters;
}

}  // namespace proxy::routing
