// SPDX-License-Identifier: Apache-2.0
#include "proxy/routing/local_addresses.h"

#include "proxy/base/strings.h"

namespace proxy::routing {

void LocalAddresses::addDomain(std::string domain) { domains_.push_back(toLower(domain)); }

void LocalAddresses::addListener(transport::Protocol protocol, std::string ip, uint16_t port) {
  listeners_.push_back({protocol, std::move(ip), port});
}

bool LocalAddresses::isLocalDomain(std::string_view host) const {
  for (const auto& d : domains_) {
    if (iequals(d, host)) {
      return true;
    }
  }
  return false;
}

bool LocalAddresses::isUs(const sip::Uri& uri) const {
  std::string_view host = uri.host();
  if (host.size() > 2 && host.front() == '[') {
    host = host.substr(1, host.size() - 2);
  }
  bool port_is_ours = uri.port() == 0;
  for (const auto& l : listeners_) {
    if (uri.port() == l.port) {
      port_is_ours = true;
      if (iequals(l.ip, host)) {
        return true;
      }
    }
  }
  // A domain name is us only on the default port or one of ours.
  return port_is_ours && isLocalDomain(host);
}

std::string LocalAddresses::sentBy(transport::Protocol protocol) const {
  for (const auto& l : listeners_) {
    if (l.protocol == protocol) {
      bool v6 = l.ip.find(':') != std::string::npos;
      return (v6 ? "[" + l.ip + "]" : l.ip) + ":" + std::to_string(l.port);
    }
  }
  return {};
}

std::string hostPort(const transport::Address& address) {
  std::string ip = address.ip();
  bool v6 = ip.find(':') != std::string::npos;
  return (v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(address.port());
}

}  // namespace proxy::routing
