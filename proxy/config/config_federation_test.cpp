// SPDX-License-Identifier: Apache-2.0
// The federation: section.
#include <doctest/doctest.h>

#include <string>

#include "proxy/config/config.h"

namespace proxy::config {
namespace {

constexpr const char* kBase =
    "domains: [a.test]\n"
    "listeners:\n"
    "  - { transport: udp, address: 127.0.0.1, port: 5060 }\n";

Result<Config> load(const std::string& extra) {
  return parseConfig(std::string(kBase) + extra, "conf/confab.yaml");
}

std::string errorOf(const std::string& extra) {
  auto config = load(extra);
  return config ? std::string() : config.error().detail;
}

}  // namespace

TEST_CASE("federation: absent section keeps federation off") {
  auto config = load("");
  REQUIRE(config);
  CHECK_FALSE(config->federation.enabled);
}

TEST_CASE("federation: defaults when present") {
  auto config = load("federation: {}\n");
  REQUIRE(config);
  const FederationConfig& f = config->federation;
  CHECK(f.enabled);
  CHECK(f.policy == FederationPolicy::Closed);
  CHECK(f.hide_topology);
  CHECK(f.requests_per_second_per_peer == 500);
  CHECK(f.dns_timeout_ms == 2000);
  CHECK(f.peers.empty());
}

TEST_CASE("federation: full example") {
  auto config = load(
      "federation:\n"
      "  policy: open\n"
      "  blocked_domains: [Spam.Test]\n"
      "  dns: { servers: ['127.0.0.1:5353'], timeout_ms: 500, max_ttl_s: 60, negative_ttl_s: 5 }\n"
      "  tls: { ca_file: ca.pem, certificate: c.pem, private_key: k.pem }\n"
      "  requests_per_second_per_peer: 50\n"
      "  hide_topology: false\n"
      "  peers:\n"
      "    - domain: B.test\n"
      "      next_hop: { host: 127.0.0.1, port: 5070, transport: tcp }\n"
      "      sources: [127.0.0.0/8, '::1']\n"
      "      require_tls: true\n"
      "      mutual_tls: true\n"
      "      dialect: microsoft\n"
      "      requests_per_second: 7\n"
      "      presence: confirm\n"
      "    - domain: c.test\n"
      "      next_hops:\n"
      "        - { host: edge1.c.test, transport: tls }\n"
      "        - { host: '[::1]', port: 5071, transport: tls }\n"
      "    - domain: d.test\n");
  REQUIRE(config);
  const FederationConfig& f = config->federation;
  CHECK(f.policy == FederationPolicy::Open);
  CHECK(f.isBlocked("spam.TEST"));
  REQUIRE(f.dns_servers.size() == 1);
  CHECK(f.dns_servers[0] == "127.0.0.1:5353");
  CHECK(f.dns_timeout_ms == 500);
  CHECK(f.dns_max_ttl_s == 60);
  CHECK(f.dns_negative_ttl_s == 5);
  CHECK(f.ca_file == "ca.pem");
  CHECK(f.certificate == "c.pem");
  CHECK(f.private_key == "k.pem");
  CHECK(f.requests_per_second_per_peer == 50);
  CHECK_FALSE(f.hide_topology);
  REQUIRE(f.peers.size() == 3);
  const FederationPeerConfig* b = f.peer("b.test");
  REQUIRE(b != nullptr);
  CHECK(b->domain == "b.test");
  REQUIRE(b->next_hops.size() == 1);
  CHECK(b->next_hops[0].host == "127.0.0.1");
  CHECK(b->next_hops[0].port == 5070);
  CHECK(b->next_hops[0].transport == Transport::Tcp);
  REQUIRE(b->sources.size() == 2);
  CHECK(b->sources[0].contains("127.0.0.9"));
  CHECK(b->require_tls);
  CHECK(b->mutual_tls);
  CHECK(b->dialect == PeerDialect::Microsoft);
  CHECK(b->requests_per_second == 7);
  CHECK(b->presence == "confirm");
  const FederationPeerConfig* c = f.peer("c.test");
  REQUIRE(c != nullptr);
  REQUIRE(c->next_hops.size() == 2);
  CHECK(c->next_hops[0].host == "edge1.c.test");
  CHECK(c->next_hops[0].port == 0);
  CHECK(c->next_hops[1].host == "[::1]");
  CHECK(f.peer("d.test")->next_hops.empty());  // DNS discovery
  CHECK(f.peer("e.test") == nullptr);
}

TEST_CASE("federation: a peer that is one of our domains") {
  CHECK(errorOf("federation:\n  peers:\n    - domain: A.test\n") ==
        "conf/confab.yaml:6:15: federation.peers[0].domain: \"a.test\" is one of our domains, "
        "not a federation peer");
}

TEST_CASE("federation: duplicate peers") {
  CHECK(errorOf("federation:\n  peers:\n    - domain: b.test\n    - domain: B.TEST\n") ==
        "conf/confab.yaml:7:15: federation.peers[1].domain: duplicate peer domain \"b.test\"");
}

TEST_CASE("federation: bad CIDR, transport, policy, unknown key") {
  std::string detail = errorOf(
      "federation:\n"
      "  policy: half-open\n"
      "  peers:\n"
      "    - domain: b.test\n"
      "      sources: [10.1.0.0/8]\n"
      "      next_hop: { host: 10.0.0.1, transport: sctp }\n"
      "      dialekt: microsoft\n");
  CHECK(detail.find("conf/confab.yaml:5:11: federation.policy: expected closed or open") !=
        std::string::npos);
  CHECK(detail.find("conf/confab.yaml:8:17: federation.peers[0].sources[0]:") != std::string::npos);
  CHECK(detail.find("federation.peers[0].next_hop.transport: expected udp, tcp or tls, got "
                    "\"sctp\"") != std::string::npos);
  CHECK(detail.find("dialekt") != std::string::npos);
}

TEST_CASE("federation: missing domain, bad names, both next_hop forms") {
  std::string detail = errorOf(
      "federation:\n"
      "  blocked_domains: ['*.evil.test']\n"
      "  peers:\n"
      "    - next_hop: { host: 'bad host', port: 0 }\n"
      "    - domain: c.test\n"
      "      next_hop: { host: 10.0.0.1 }\n"
      "      next_hops: [{ host: 10.0.0.2 }]\n"
      "      presence: maybe\n");
  CHECK(detail.find("federation.blocked_domains[0]: expected a domain name") != std::string::npos);
  CHECK(detail.find("federation.peers[0].domain: required key is missing") != std::string::npos);
  CHECK(detail.find("federation.peers[0].next_hop.host: expected a host name") !=
        std::string::npos);
  CHECK(detail.find("federation.peers[0].next_hop.port") != std::string::npos);
  CHECK(detail.find("give either next_hop or next_hops") != std::string::npos);
  CHECK(detail.find("federation.peers[1].presence: expected allow, confirm, block or deny") !=
        std::string::npos);
}

TEST_CASE("federation: tls certificate without key, blocked peer") {
  std::string detail = errorOf(
      "federation:\n"
      "  blocked_domains: [b.test]\n"
      "  tls: { certificate: c.pem }\n"
      "  peers: [{ domain: b.test }]\n");
  CHECK(detail.find("certificate and private_key go together") != std::string::npos);
  CHECK(detail.find("peer \"b.test\" is also in blocked_domains") != std::string::npos);
}

}  // namespace proxy::config
