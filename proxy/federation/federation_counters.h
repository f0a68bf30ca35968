// SPDX-License-Identifier: Apache-2.0
// The federation edge's counters, interned once (see proxy/base/counters.h).
// Names: federation.inbound.accepted, federation.rejected.{spoofed,unverified,
// relay,flood,blocked,not_federated,loop}, federation.outbound.{routed,
// unresolved}, federation.failover (alternate hops tried by the forking proxy
// are counted by it as forwards; this counts routes that had alternates);
// requests our services originate that waited for DNS:
// federation.outbound.dns_wait.{resolved,timed_out,refused} (refused: too many waiting).
#pragma once

#include "proxy/base/counters.h"

namespace proxy::federation {

struct FederationCounters {
  static const FederationCounters& get();

  counters::Counter accepted, spoofed, unverified, relay, flood, blocked, not_federated, loop,
      routed, unresolved, with_alternates, wait_resolved, wait_timed_out, wait_refused;

 private:
  FederationCounters();
};

}  // namespace proxy::federation
