// SPDX-License-Identifier: Apache-2.0
// Where the federation edge gets next hops from: RFC 3263 discovery for a
// domain, or an explicit host of the federation table. Production wraps the
// shard's dns::SipLocator (makeDnsHopResolver); tests give a fake.
#pragma once

#include <uv.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"
#include "proxy/config/config.h"
#include "proxy/dns/sip_locator.h"

namespace proxy::federation {

using Hop = dns::NextHop;

class HopResolver {
 public:
  virtual ~HopResolver() = default;
  // See dns::SipLocator: `done` may run before the call returns.
  virtual void locate(std::string_view domain, std::vector<transport::Protocol> allowed,
                      dns::LocateDone done) = 0;
  virtual void resolveHost(std::string_view host, uint16_t port, transport::Protocol protocol,
                           std::string tls_name, dns::LocateDone done) = 0;
  virtual std::optional<std::vector<Hop>> cached(std::string_view domain) const = 0;
};

// A SipLocator on `loop` configured from federation.dns.
Result<std::unique_ptr<HopResolver>> makeDnsHopResolver(uv_loop_t* loop,
                                                        const config::FederationConfig& config);

}  // namespace proxy::federation
