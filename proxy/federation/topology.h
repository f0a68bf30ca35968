// SPDX-License-Identifier: Apache-2.0
// What a federated peer may see of our side (topology hiding), and the
// dialect-specific headers it must not get.
//
// Leaving for a peer (a request we forward, or a response we relay to one):
//  - Vias below ours are removed from requests; the forking proxy restores them
//    on the responses from the request it kept (routing::Target::restore_vias).
//  - A Contact naming a host that is not us becomes our listener address with the
//    original URI sealed (routing::sealText) in `fc` ("sip:alice@<edge>;transport=tcp;fc=..."); a
//    request that comes back to such a URI has it decoded (decodeContactUri) before
//    routing. Routing still needs our signed Record-Route: `fc` alone never makes us
//    send anywhere.
//  - Every peer loses Authorization/Proxy-Authorization for our realm.
//  - A `standard` peer loses the Microsoft dialect: every header whose name starts
//    with "ms-" or "x-ms-" (Ms-Conversation-ID, ms-keep-alive, Ms-Client-Diagnostics,
//    ms-endpoint-location-data, ...), and "ms-*" option tags from Supported, Require
//    and Proxy-Require (ms-benotify); such a header left empty goes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "proxy/config/config.h"
#include "proxy/routing/local_addresses.h"
#include "proxy/sip/sip_message.h"

namespace proxy::federation {

inline constexpr std::string_view kContactParam = "fc";

// The Contact value with its URI replaced by our edge address for `protocol`
// carrying the original; nullopt when it already names us or cannot be parsed.
std::optional<std::string> encodeContact(std::string_view contact,
                                         const routing::LocalAddresses& us,
                                         transport::Protocol protocol);

// The original URI of one made by encodeContact(); nullopt for any other URI.
std::optional<std::string> decodeContactUri(const sip::Uri& uri, const routing::LocalAddresses& us);

// True for a header only the Microsoft dialect understands.
bool isMicrosoftHeader(std::string_view name);

struct PeerRewrite {
  const routing::LocalAddresses* us = nullptr;
  std::string realm;  // our digest realm
  config::PeerDialect dialect = config::PeerDialect::Standard;
  bool hide_topology = true;
  transport::Protocol protocol = transport::Protocol::Tcp;  // towards the peer
};

// Applies the rules above to a message about to leave for a peer, editing its
// fields in place (no re-parse). Fields keep their places, except extension
// headers when an ms-* one goes: the others then move, in order, to the end.
void rewriteForPeer(sip::SipMessage& message, const PeerRewrite& how);

}  // namespace proxy::federation
