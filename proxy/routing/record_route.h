// SPDX-License-Identifier: Apache-2.0
// Our Record-Route entries and how we recognise them again in Route headers.
// Many clients (baresip over TCP, pidgin-sipe) listen on no port, so an
// in-dialog request cannot be sent to their Contact: each entry we record
// carries the flow tokens of both sides of the dialog (`cf` = the caller's
// flow, `ef` = the callee's), sealed (sealText: encrypted, authenticated, hex)
// so that peers learn nothing of our side's addresses. When a
// request comes back through us, the side it did not arrive from is the one to
// send it to (RFC 5626 §5.3 uses flow tokens the same way). The tokens are
// signed with a per-process HMAC key (`fs`), so nobody can forge a Route that
// makes us relay to a flow or address of their choosing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "proxy/routing/local_addresses.h"
#include "proxy/transport/transport.h"

namespace proxy::routing {

// "<sip:ip:port;transport=tcp;lr;cf=..;ef=..>" naming our listener for `protocol`.
std::string makeRecordRouteFor(transport::Protocol protocol, const LocalAddresses& us,
                               std::string_view caller_token, std::string_view callee_token);

struct OwnRoute {
  std::string caller_token;  // decoded; may be empty
  std::string callee_token;
  bool signed_ok = false;    // the tokens carry our valid signature
};

// If the Route value names us, the tokens it carries; nullopt when it is not ours.
std::optional<OwnRoute> parseOwnRoute(std::string_view route_value, const LocalAddresses& us);

// Where an in-dialog request that came back through us goes next.
struct DialogHop {
  bool from_participant = false;        // it arrived on one of the recorded, signed flows
  std::optional<transport::Flow> flow;  // the other side's flow, when it was recorded
};
DialogHop otherSide(const transport::Flow& arrival, const OwnRoute& route);

// Opaque, authenticated text (AES-256-GCM under a per-process key, random IV,
// hex): what we hand out must not reveal our side's addresses (topology
// hiding), nor be forgeable.
// openText() is nullopt for anything sealText() did not make in this process.
std::string sealText(std::string_view plain);
std::optional<std::string> openText(std::string_view sealed);

std::string hexEncode(std::string_view raw);
std::optional<std::string> hexDecode(std::string_view hex);

}  // namespace proxy::routing
