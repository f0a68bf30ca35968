// SPDX-License-Identifier: Apache-2.0
// The `federation:` section: peer domains, policy, DNS and TLS settings. The
// section's presence turns federation on; its absence keeps Confab a closed
// island (no request leaves for, or is accepted from, another domain).
#include <string>

#include "proxy/base/strings.h"
#include "proxy/config/config_sections.h"

namespace proxy::config {

const FederationPeerConfig* FederationConfig::peer(std::string_view domain) const {
  for (const FederationPeerConfig& p : peers) {
    if (iequals(p.domain, domain)) {
      return &p;
    }
  }
  return nullptr;
}

bool FederationConfig::isBlocked(std::string_view domain) const {
  for (const std::string& d : blocked_domains) {
    if (iequals(d, domain)) {
      return true;
    }
  }
  return false;
}

namespace detail {
namespace {

constexpr std::string_view kPresenceActions = "allow, confirm, block or deny";

// A DNS name: labels of letters, digits and '-', separated by dots; no
// wildcards (RFC 5922 §7.2 forbids them in peer identities too).
bool isDomainName(std::string_view name) {
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.back() == '.') {
    return false;
  }
  size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) {
        return false;
      }
      label = 0;
      continue;
    }
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok || ++label > 63) {
      return false;
    }
  }
  return true;
}

// A host: a domain name or an IP literal ("[::1]" or "::1").
bool isHost(std::string_view host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.find(':') != std::string_view::npos) {
    return host.find_first_not_of("0123456789abcdefABCDEF:.") == std::string_view::npos;
  }
  return isDomainName(host);
}

std::optional<std::string> readDomain(Diagnostics& diag, const Value& value) {
  auto text = readString(diag, value);
  if (!text) {
    return std::nullopt;
  }
  std::string domain = toLower(trim(*text));
  if (!isDomainName(domain)) {
    diag.add(value.mark, value.path,
             "expected a domain name such as example.org, got " + describe(value.node));
    return std::nullopt;
  }
  return domain;
}

void readNextHop(Diagnostics& diag, const Value& item, std::vector<FederationNextHop>& out) {
  const size_t errors = diag.count();
  MapReader map(diag, item, {"host", "port", "transport"});
  if (!item.node.IsMap()) {
    return;  // reported; its keys would only repeat that
  }
  FederationNextHop hop;
  if (auto host = map.get("host")) {
    if (auto text = readString(diag, *host)) {
      std::string h = toLower(trim(*text));
      if (isHost(h)) {
        hop.host = std::move(h);
      } else {
        diag.add(host->mark, host->path,
                 "expected a host name or IP address, got " + describe(host->node));
      }
    }
  } else {
    map.reportMissing("host");
  }
  if (auto transport = map.get("transport")) {
    if (auto name = readString(diag, *transport)) {
      if (iequals(*name, "udp")) {
        hop.transport = Transport::Udp;
      } else if (iequals(*name, "tcp")) {
        hop.transport = Transport::Tcp;
      } else if (iequals(*name, "tls")) {
        hop.transport = Transport::Tls;
      } else {
        diag.add(transport->mark, transport->path,
                 "expected udp, tcp or tls, got " + describe(transport->node));
      }
    }
  }
  map.read("port", hop.port, 1, 65535);
  if (diag.count() == errors) {
    out.push_back(std::move(hop));
  }
}

void readPeer(Diagnostics& diag, const Value& item, const Config& config,
              FederationConfig& federation) {
  const size_t errors = diag.count();
  MapReader map(diag, item,
                {"domain", "next_hop", "next_hops", "sources", "require_tls", "mutual_tls",
                 "dialect", "requests_per_second", "presence"});
  if (!item.node.IsMap()) {
    return;  // reported; its keys would only repeat that
  }
  FederationPeerConfig peer;
  if (auto domain = map.get("domain")) {
    if (auto name = readDomain(diag, *domain)) {
      if (config.isLocalDomain(*name)) {
        diag.add(domain->mark, domain->path,
                 "\"" + *name + "\" is one of our domains, not a federation peer");
      } else if (federation.peer(*name) != nullptr) {
        diag.add(domain->mark, domain->path, "duplicate peer domain \"" + *name + "\"");
      } else {
        peer.domain = std::move(*name);
      }
    }
  } else {
    map.reportMissing("domain");
  }
  auto hop = map.get("next_hop");
  auto hops = map.get("next_hops");
  if (hop && hops) {
    diag.add(hops->mark, hops->path, "give either next_hop or next_hops, not both");
  } else if (hop) {
    readNextHop(diag, *hop, peer.next_hops);
  } else if (hops) {
    for (const Value& entry : readList(diag, *hops)) {
      readNextHop(diag, entry, peer.next_hops);
    }
  }
  if (auto sources = map.get("sources")) {
    for (const Value& entry : readList(diag, *sources)) {
      if (auto text = readString(diag, entry)) {
        auto cidr = Cidr::parse(trim(*text));
        if (cidr) {
          peer.sources.push_back(std::move(*cidr));
        } else {
          diag.add(entry.mark, entry.path, cidr.error().detail);
        }
      }
    }
  }
  map.read("require_tls", peer.require_tls);
  map.read("mutual_tls", peer.mutual_tls);
  if (auto dialect = map.get("dialect")) {
    if (auto name = readString(diag, *dialect)) {
      if (iequals(*name, "standard")) {
        peer.dialect = PeerDialect::Standard;
      } else if (iequals(*name, "microsoft")) {
        peer.dialect = PeerDialect::Microsoft;
      } else {
        diag.add(dialect->mark, dialect->path,
                 "expected standard or microsoft, got " + describe(dialect->node));
      }
    }
  }
  map.read("requests_per_second", peer.requests_per_second, 0, 1000000);
  if (auto presence = map.get("presence")) {
    if (auto text = readString(diag, *presence)) {
      std::string action = toLower(trim(*text));
      if (action == "allow" || action == "confirm" || action == "block" || action == "deny") {
        peer.presence = std::move(action);
      } else {
        diag.add(presence->mark, presence->path,
                 "expected " + std::string(kPresenceActions) + ", got " + describe(presence->node));
      }
    }
  }
  if (diag.count() == errors) {
    federation.peers.push_back(std::move(peer));
  }
}

void readDns(Diagnostics& diag, const Value& value, FederationConfig& f) {
  MapReader map(diag, value, {"servers", "timeout_ms", "max_ttl_s", "negative_ttl_s"});
  if (auto servers = map.get("servers")) {
    for (const Value& entry : readList(diag, *servers)) {
      if (auto text = readString(diag, entry)) {
        std::string server(trim(*text));
        // "ip" or "ip:port" / "[v6]:port": c-ares' server list syntax.
        if (server.empty() ||
            server.find_first_not_of("0123456789abcdefABCDEF:.[]") != std::string::npos) {
          diag.add(entry.mark, entry.path,
                   "expected an IP address, optionally with :port (127.0.0.1:5353), got " +
                       describe(entry.node));
        } else {
          f.dns_servers.push_back(std::move(server));
        }
      }
    }
  }
  map.read("timeout_ms", f.dns_timeout_ms, 100, 60000);
  map.read("max_ttl_s", f.dns_max_ttl_s, 1, 86400);
  map.read("negative_ttl_s", f.dns_negative_ttl_s, 0, 86400);
}

}  // namespace

void readFederation(const MapReader& root, Config& config) {
  auto section = root.get("federation");
  if (!section) {
    return;  // federation off
  }
  Diagnostics& diag = root.diagnostics();
  FederationConfig& f = config.federation;
  f.enabled = true;
  MapReader map(diag, *section,
                {"policy", "blocked_domains", "dns", "tls", "requests_per_second_per_peer",
                 "hide_topology", "peers"});
  if (auto policy = map.get("policy")) {
    if (auto text = readString(diag, *policy)) {
      if (iequals(*text, "closed")) {
        f.policy = FederationPolicy::Closed;
      } else if (iequals(*text, "open")) {
        f.policy = FederationPolicy::Open;
      } else {
        diag.add(policy->mark, policy->path,
                 "expected closed or open, got " + describe(policy->node));
      }
    }
  }
  if (auto blocked = map.get("blocked_domains")) {
    for (const Value& entry : readList(diag, *blocked)) {
      if (auto domain = readDomain(diag, entry)) {
        f.blocked_domains.push_back(std::move(*domain));
      }
    }
  }
  if (auto dns = map.get("dns")) {
    readDns(diag, *dns, f);
  }
  if (auto tls = map.get("tls")) {
    MapReader tls_map(diag, *tls, {"ca_file", "certificate", "private_key"});
    tls_map.read("ca_file", f.ca_file);
    tls_map.read("certificate", f.certificate);
    tls_map.read("private_key", f.private_key);
    if (f.certificate.empty() != f.private_key.empty()) {
      diag.add(tls->mark, tls->path, "certificate and private_key go together");
    }
  }
  map.read("requests_per_second_per_peer", f.requests_per_second_per_peer, 0, 1000000);
  map.read("hide_topology", f.hide_topology);
  if (auto peers = map.get("peers")) {
    for (const Value& item : readList(diag, *peers)) {
      readPeer(diag, item, config, f);
    }
  }
  for (const FederationPeerConfig& peer : f.peers) {
    if (f.isBlocked(peer.domain)) {
      diag.add(map.mark(), map.childPath("peers"),
               "peer \"" + peer.domain + "\" is also in blocked_domains");
    }
  }
}

}  // namespace detail
}  // namespace proxy::config
