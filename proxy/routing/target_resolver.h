// SPDX-License-Identifier: Apache-2.0
// Turns a SIP URI into a flow to send to when no registration names one: the
// first Route that is not ours (loose routing, RFC 3261 §16.6 step 7), else the
// Request-URI. Only IP-literal hosts resolve here; names that are not our
// domains need DNS (RFC 3263), which the federation edge adds.
#pragma once

#include <optional>

#include "proxy/routing/local_addresses.h"
#include "proxy/sip/sip_message.h"
#include "proxy/transport/transport.h"

namespace proxy::routing {

// Flow for a SIP URI with an IP-literal host; transport from the `transport`
// parameter (sips: TLS), port defaulting to 5060/5061. The flow has no
// connection id, so sending opens or reuses a connection to the address.
std::optional<transport::Flow> resolveUri(const sip::Uri& uri);

// The next hop of a request about to be forwarded.
std::optional<transport::Flow> resolveNextHop(const sip::SipMessage& request,
                                              const LocalAddresses& us);

}  // namespace proxy::routing
