// SPDX-License-Identifier: Apache-2.0
#include "proxy/federation/peer_table.h"

#include "proxy/base/strings.h"

namespace proxy::federation {

PeerTable::PeerTable(const config::Config& config)
    : config_(config), federation_(config.federation) {}

Policy PeerTable::policyFor(std::string_view domain) const {
  if (domain.empty() || isLocal(domain)) {
    return Policy::NotFederated;
  }
  if (federation_.isBlocked(domain)) {
    return Policy::Blocked;
  }
  if (federation_.peer(domain) != nullptr || federation_.policy == config::FederationPolicy::Open) {
    return Policy::Allowed;
  }
  return Policy::NotFederated;
}

std::optional<PeerIdentity> PeerTable::identify(const transport::Flow& flow,
                                                const std::vector<std::string>* tls_names,
                                                std::string_view claimed) const {
  if (tls_names != nullptr && !tls_names->empty()) {
    // A certificate proves every name it carries; the claimed one when it is among them.
    const std::string* chosen = nullptr;
    for (const std::string& name : *tls_names) {
      if (policyFor(name) != Policy::Allowed) {
        continue;
      }
      if (iequals(name, claimed)) {
        chosen = &name;
        break;
      }
      if (chosen == nullptr) {
        chosen = &name;
      }
    }
    if (chosen != nullptr) {
      return PeerIdentity{toLower(*chosen), federation_.peer(*chosen), true};
    }
  }
  const sockaddr* source = flow.remote.raw();
  const config::FederationPeerConfig* match = nullptr;
  for (const config::FederationPeerConfig& peer : federation_.peers) {
    for (const config::Cidr& cidr : peer.sources) {
      if (cidr.contains(source)) {
        if (match == nullptr || iequals(peer.domain, claimed)) {
          match = &peer;
        }
        break;
      }
    }
  }
  if (match != nullptr && !federation_.isBlocked(match->domain)) {
    return PeerIdentity{match->domain, match, false};
  }
  return std::nullopt;
}

uint32_t PeerTable::rateFor(std::string_view domain) const {
  const config::FederationPeerConfig* p = federation_.peer(domain);
  if (p != nullptr && p->requests_per_second != 0) {
    return p->requests_per_second;
  }
  return federation_.requests_per_second_per_peer;
}

}  // namespace proxy::federation
