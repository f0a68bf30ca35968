// SPDX-License-Identifier: Apache-2.0
#include "proxy/federation/hop_resolver.h"

namespace proxy::federation {
namespace {

class DnsHopResolver final : public HopResolver {
 public:
  explicit DnsHopResolver(std::unique_ptr<dns::SipLocator> locator)
      : locator_(std::move(locator)) {}
  void locate(std::string_view domain, std::vector<transport::Protocol> allowed,
              dns::LocateDone done) override {
    locator_->locate(domain, std::move(allowed), std::move(done));
  }
  void resolveHost(std::string_view host, uint16_t port, transport::Protocol protocol,
                   std::string tls_name, dns::LocateDone done) override {
    locator_->resolveHost(host, port, protocol, std::move(tls_name), std::move(done));
  }
  std::optional<std::vector<Hop>> cached(std::string_view domain) const override {
    return locator_->cached(domain);
  }

 private:
  std::unique_ptr<dns::SipLocator> locator_;
};

}  // namespace

Result<std::unique_ptr<HopResolver>> makeDnsHopResolver(uv_loop_t* loop,
                                                        const config::FederationConfig& config) {
  dns::DnsOptions options;
  options.servers = config.dns_servers;
  options.timeout_ms = config.dns_timeout_ms;
  options.max_ttl_s = config.dns_max_ttl_s;
  options.negative_ttl_s = config.dns_negative_ttl_s;
  auto locator = dns::SipLocator::create(loop, std::move(options));
  if (!locator) {
    return locator.error();
  }
  return std::unique_ptr<HopResolver>(std::make_unique<DnsHopResolver>(std::move(*locator)));
}

}  // namespace proxy::federation
