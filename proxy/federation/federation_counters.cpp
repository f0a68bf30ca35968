// SPDX-License-Identifier: Apache-2.0
#include "proxy/federation/federation_counters.h"

namespace proxy::federation {

const FederationCounters& FederationCounters::get() {
  static const FederationCounters counters;
  return counters;
}

FederationCounters::FederationCounters()
    : accepted(counters::get("federation.inbound.accepted")),
      spoofed(counters::get("federation.rejected.spoofed")),
      unverified(counters::get("federation.rejected.unverified")),
      relay(counters::get("federation.rejected.relay")),
      flood(counters::get("federation.rejected.flood")),
      blocked(counters::get("federation.rejected.blocked")),
      not_federated(counters::get("federation.rejected.not_federated")),
      loop(counters::get("federation.rejected.loop")),
      routed(counters::get("federation.outbound.routed")),
      unresolved(counters::get("federation.outbound.unresolved")),
      with_alternates(counters::get("federation.outbound.with_alternates")),
      wait_resolved(counters::get("federation.outbound.dns_wait.resolved")),
      wait_timed_out(counters::get("federation.outbound.dns_wait.timed_out")),
      wait_refused(counters::get("federation.outbound.dns_wait.refused")) {}

}  // namespace proxy::federation
