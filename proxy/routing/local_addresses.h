// SPDX-License-Identifier: Apache-2.0
// What "us" means when a URI is inspected: our SIP domains and the addresses
// and ports our listeners are bound to. Built once by confabd after binding
// (ports may be ephemeral) and then read-only, so every shard may share it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/sip/uri.h"
#include "proxy/transport/transport.h"

namespace proxy::routing {

class LocalAddresses {
 public:
  void addDomain(std::string domain);  // lowercased
  void addListener(transport::Protocol protocol, std::string ip, uint16_t port);

  bool isLocalDomain(std::string_view host) const;
  // True when the URI points at this server: a listener ip:port, or one of our
  // domains with no port or a listener's port (RFC 3261 §16.4).
  bool isUs(const sip::Uri& uri) const;
  // The listener address for `protocol` to put in a Via or Record-Route, as
  // "ip:port" ([ip]:port for IPv6); empty if we have no such listener.
  std::string sentBy(transport::Protocol protocol) const;
  const std::vector<std::string>& domains() const { return domains_; }

 private:
  struct Listener {
    transport::Protocol protocol;
    std::string ip;
    uint16_t port;
  };
  std::vector<std::string> domains_;
  std::vector<Listener> listeners_;
};

// "ip:port" for an address, bracketing IPv6.
std::string hostPort(const transport::Address& address);

}  // namespace proxy::routing
