// SPDX-License-Identifier: Apache-2.0
// The federation table: which domains we federate with (policy closed: the
// listed peers; open: any domain not blocked), and which peer an inbound flow
// belongs to. A flow proves a peer by a verified TLS certificate naming the
// domain (RFC 5922; transport::Inbound::tls_peer_names) or by its source
// address lying in a listed peer's `sources`. Never by what the message says.
// Built per shard from the config; read-only afterwards.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/config.h"
#include "proxy/transport/transport.h"

namespace proxy::federation {

enum class Policy {
  Allowed,       // we federate with this domain
  Blocked,       // listed in blocked_domains
  NotFederated,  // closed policy and not a listed peer, or one of our own domains
};

struct PeerIdentity {
  std::string domain;                                  // lowercase
  const config::FederationPeerConfig* peer = nullptr;  // null: unlisted (open policy)
  bool by_tls = false;  // proved by a certificate (else by source address)
};

class PeerTable {
 public:
  explicit PeerTable(const config::Config& config);

  Policy policyFor(std::string_view domain) const;
  const config::FederationPeerConfig* peer(std::string_view domain) const {
    return federation_.peer(domain);
  }
  const config::FederationConfig& config() const { return federation_; }
  bool isLocal(std::string_view domain) const { return config_.isLocalDomain(domain); }

  // The peer a request arriving on `flow` comes from, or nullopt when the flow
  // proves none. `claimed` (the From domain) picks among several certificate
  // names and among peers sharing a source address; it is never trusted alone.
  std::optional<PeerIdentity> identify(const transport::Flow& flow,
                                       const std::vector<std::string>* tls_names,
                                       std::string_view claimed) const;

  // Requests per second allowed from `domain` (0 = unlimited).
  uint32_t rateFor(std::string_view domain) const;

 private:
  const config::Config& config_;
  const config::FederationConfig& federation_;
};

}  // namespace proxy::federation
