// SPDX-License-Identifier: Apache-2.0
#include "proxy/routing/target_resolver.h"

#include "proxy/base/strings.h"
#include "proxy/sip/name_addr.h"

namespace proxy::routing {

std::optional<transport::Flow> resolveUri(const sip::Uri& uri) {
  if (!uri.isSip()) {
    return std::nullopt;
  }
  transport::Flow flow;
  bool sips = iequals(uri.scheme(), "sips");
  flow.protocol = sips ? transport::Protocol::Tls : transport::Protocol::Udp;
  if (const sip::Param* t = uri.param("transport")) {
    if (iequals(t->value, "tcp")) {
      flow.protocol = sips ? transport::Protocol::Tls : transport::Protocol::Tcp;
    } else if (iequals(t->value, "tls")) {
      flow.protocol = transport::Protocol::Tls;
    } else if (!iequals(t->value, "udp")) {
      return std::nullopt;  // sctp, ws, ...: not served here
    }
  }
  // maddr overrides the host for the next hop (RFC 3261 §19.1.1).
  std::string_view host = uri.host();
  if (const sip::Param* maddr = uri.param("maddr")) {
    host = maddr->value;
  }
  if (host.size() > 2 && host.front() == '[') {
    host = host.substr(1, host.size() - 2);
  }
  uint16_t port = uri.port();
  if (port == 0) {
    port = flow.protocol == transport::Protocol::Tls ? 5061 : 5060;
  }
  auto remote = transport::Address::fromIpPort(host, port);
  if (!remote) {
    return std::nullopt;
  }
  flow.remote = *remote;
  return flow;
}

std::optional<transport::Flow> resolveNextHop(const sip::SipMessage& request,
                                              const LocalAddresses& us) {
  if (request.has(sip::HeaderName::Route)) {
    auto route = sip::NameAddr::parse(request.header(sip::HeaderName::Route));
    if (route && !us.isUs(route->uri())) {
      return resolveUri(route->uri());
    }
  }
  auto ruri = sip::Uri::parse(request.requestUri());
  if (!ruri) {
    return std::nullopt;
  }
  return resolveUri(*ruri);
}

}  // namespace proxy::routing
