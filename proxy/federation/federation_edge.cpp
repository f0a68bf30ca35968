// SPDX-License-Identifier: Apache-2.0
#include "proxy/federation/federation_edge.h"

#include "proxy/base/log.h"
#include "proxy/base/strings.h"
#include "proxy/config/transport_protocol.h"
#include "proxy/federation/federation_counters.h"
#include "proxy/federation/loop_detection.h"
#include "proxy/routing/shard_router.h"
#include "proxy/sip/name_addr.h"

namespace proxy::federation {
namespace {

// The flow to a resolved hop; a TLS one must prove the peer's domain (RFC 5922).
transport::Flow flowTo(const Hop& hop, routing::ShardRouter& router) {
  transport::Flow flow;
  flow.protocol = hop.protocol;
  flow.remote = hop.address;
  flow.shard = router.shardId();
  if (hop.protocol == transport::Protocol::Tls && !hop.tls_name.empty()) {
    router.rememberTlsName(hop.address, hop.tls_name);
  }
  return flow;
}

uint16_t portOf(const config::FederationNextHop& hop) {
  if (hop.port != 0) {
    return hop.port;
  }
  return hop.transport == config::Transport::Tls ? 5061 : 5060;
}

InboundDecision reject(int status, std::string reason, const counters::Counter& counter,
                       std::string claimed) {
  InboundDecision d;
  d.status = status;
  d.reason = std::move(reason);
  d.counter = &counter;
  d.claimed = std::move(claimed);
  return d;
}

InboundDecision withPeer(InboundDecision decision, const PeerIdentity& peer) {
  decision.peer = peer;  // for the log: which peer tried it
  return decision;
}

}  // namespace

InboundDecision judgeInbound(const PeerTable& table, const routing::LocalAddresses& us,
                             const sip::SipMessage& request, const transport::Flow& flow,
                             const std::vector<std::string>* tls_names, bool in_dialog,
                             bool trusted) {
  const FederationCounters& c = FederationCounters::get();
  if (isLooping(request, us)) {
    return reject(482, "Loop Detected", c.loop, {});
  }
  const auto& from = request.from();
  if (!from || !from->uri().isSip()) {
    return {};  // the auth stage answers 400
  }
  std::string claimed = toLower(from->uri().host());
  std::optional<PeerIdentity> peer = table.identify(flow, tls_names, claimed);
  if (!peer) {
    if (in_dialog || trusted || table.isLocal(claimed)) {
      return {};  // our own side (or a dialog the loose-route stage vetted)
    }
    if (table.policyFor(claimed) == Policy::Blocked) {
      return reject(403, "Domain Blocked", c.blocked, std::move(claimed));
    }
    return reject(403, "Peer Not Verified", c.unverified, std::move(claimed));
  }
  const config::FederationPeerConfig* cfg = peer->peer;
  if (cfg != nullptr && cfg->require_tls && flow.protocol != transport::Protocol::Tls) {
    return withPeer(reject(403, "TLS Required", c.unverified, std::move(claimed)), *peer);
  }
  if (cfg != nullptr && cfg->mutual_tls && !peer->by_tls) {
    return withPeer(reject(403, "Certificate Required", c.unverified, std::move(claimed)), *peer);
  }
  if (claimed != peer->domain) {
    return withPeer(reject(403, "Identity Not In Peer Domain", c.spoofed, std::move(claimed)),
                    *peer);
  }
  for (const sip::HeaderField& field : request.fields()) {
    if (field.id != sip::HeaderName::Other || !iequals(field.name, "P-Asserted-Identity")) {
      continue;
    }
    auto asserted = sip::NameAddr::parse(field.value);
    if (!asserted || (asserted->uri().isSip() && !iequals(asserted->uri().host(), peer->domain))) {
      return withPeer(reject(403, "Identity Not In Peer Domain", c.spoofed,
                             asserted ? toLower(asserted->uri().host()) : std::string(field.value)),
                      *peer);
    }
  }
  if (!in_dialog) {
    auto ruri = sip::Uri::parse(request.requestUri());
    if (!ruri || !ruri->isSip() || !(table.isLocal(ruri->host()) || us.isUs(*ruri))) {
      return withPeer(reject(403, "Relaying Denied", c.relay, std::move(claimed)), *peer);
    }
  }
  InboundDecision accepted;
  accepted.peer = std::move(peer);
  accepted.claimed = std::move(claimed);
  return accepted;
}

std::string destinationDomain(const sip::SipMessage& request) {
  if (request.has(sip::HeaderName::Route)) {
    auto route = sip::NameAddr::parse(request.header(sip::HeaderName::Route));
    if (route && route->uri().isSip()) {
      return toLower(route->uri().host());
    }
    return {};
  }
  auto ruri = sip::Uri::parse(request.requestUri());
  return ruri && ruri->isSip() ? toLower(ruri->host()) : std::string();
}

FederationEdge::FederationEdge(const config::Config& config, const routing::LocalAddresses& us,
                               std::unique_ptr<HopResolver> resolver, EdgeOptions options)
    : config_(config),
      us_(us),
      table_(config),
      resolver_(std::move(resolver)),
      options_(std::move(options)),
      limiter_(options_.limiter ? options_.limiter : PeerLimiter::sharedFor(config.federation)) {}

FederationEdge::~FederationEdge() { *alive_ = false; }

void FederationEdge::findHops(const std::string& domain, dns::LocateDone done) {
  const config::FederationPeerConfig* peer = table_.peer(domain);
  if (resolver_ == nullptr) {
    done(makeError(503, "no resolver for " + domain));
    return;
  }
  if (peer == nullptr || peer->next_hops.empty()) {
    std::vector<transport::Protocol> allowed = {transport::Protocol::Tls, transport::Protocol::Tcp,
                                                transport::Protocol::Udp};
    if (peer != nullptr && (peer->require_tls || peer->mutual_tls)) {
      allowed = {transport::Protocol::Tls};
    }
    resolver_->locate(domain, std::move(allowed), std::move(done));
    return;
  }
  // Each configured hop resolves on its own; the answers join in config order.
  struct Join {
    std::vector<std::vector<Hop>> parts;
    size_t pending = 0;
    dns::LocateDone done;
  };
  auto join = std::make_shared<Join>();
  join->parts.resize(peer->next_hops.size());
  join->pending = peer->next_hops.size();
  join->done = std::move(done);
  for (size_t i = 0; i < peer->next_hops.size(); ++i) {
    const config::FederationNextHop& hop = peer->next_hops[i];
    resolver_->resolveHost(hop.host, portOf(hop), config::toProtocol(hop.transport), domain,
                           [join, i, domain](Result<std::vector<Hop>> result) {
                             if (result) {
                               join->parts[i] = std::move(*result);
                             }
                             if (--join->pending > 0) {
                               return;
                             }
                             std::vector<Hop> all;
                             for (auto& part : join->parts) {
                               all.insert(all.end(), part.begin(), part.end());
                             }
                             if (all.empty()) {
                               join->done(makeError(503, "no next hop of " + domain + " resolves"));
                             } else {
                               join->done(std::move(all));
                             }
                           });
  }
}

PeerRewrite FederationEdge::rewriteFor(std::string_view domain,
                                       transport::Protocol protocol) const {
  PeerRewrite how;
  how.us = &us_;
  how.realm = config_.auth.realm;
  how.hide_topology = config_.federation.hide_topology;
  how.protocol = protocol;
  if (const config::FederationPeerConfig* peer = table_.peer(domain)) {
    how.dialect = peer->dialect;
  }
  return how;
}

routing::Target FederationEdge::makeTarget(const sip::SipMessage& request,
                                           const std::string& domain, const std::vector<Hop>& hops,
                                           unsigned shard) const {
  auto flowOf = [shard](const Hop& hop) {
    transport::Flow flow;
    flow.protocol = hop.protocol;
    flow.remote = hop.address;
    flow.shard = shard;
    return flow;
  };
  routing::Target target(std::string(request.requestUri()), flowOf(hops.front()));
  target.tls_name = hops.front().tls_name;
  for (size_t i = 1; i < hops.size() && i < kMaxHops; ++i) {
    target.alternates.push_back({flowOf(hops[i]), hops[i].tls_name});
  }
  PeerRewrite how = rewriteFor(domain, hops.front().protocol);
  target.restore_vias = how.hide_topology;
  target.filter = [how](sip::SipMessage& copy) {
    rewriteForPeer(copy, how);
    return loopViaParams(copy);
  };
  return target;
}

FederationEdge::HopChoice FederationEdge::chooseHop(const sip::SipMessage& request,
                                                    routing::ShardRouter& router) {
  std::string domain = destinationDomain(request);
  std::string peer_domain = domain;
  if (Policy policy = table_.policyFor(domain); policy != Policy::Allowed) {
    // In a dialog the next hop is often the peer's proxy by host name (its
    // Record-Route): what we federate with is the other party's domain.
    const auto& to = request.to();
    if (policy == Policy::Blocked || !to || !to->uri().isSip()) {
      return {};
    }
    peer_domain = toLower(to->uri().host());
    if (table_.policyFor(peer_domain) != Policy::Allowed) {
      return {};
    }
  }
  if (const config::FederationPeerConfig* peer = table_.peer(peer_domain)) {
    for (const config::FederationNextHop& hop : peer->next_hops) {
      std::string_view host = hop.host;
      if (host.size() > 2 && host.front() == '[') {
        host = host.substr(1, host.size() - 2);
      }
      if (auto address = transport::Address::fromIpPort(host, portOf(hop))) {
        return {flowTo(Hop{config::toProtocol(hop.transport), *address, peer_domain}, router), {}};
      }
    }
  }
  if (resolver_ == nullptr) {
    return {};
  }
  if (auto hops = resolver_->cached(domain); hops && !hops->empty()) {
    return {flowTo(hops->front(), router), {}};
  }
  return {std::nullopt, std::move(domain)};
}

std::optional<transport::Flow> FederationEdge::nextHopFor(const sip::SipMessage& request,
                                                          routing::ShardRouter& router) {
  HopChoice choice = chooseHop(request, router);
  if (!choice.lookup.empty()) {
    // Warm the cache: the service's retry (or the next request) finds the answer.
    findHops(choice.lookup, [](Result<std::vector<Hop>>) {});
    FederationCounters::get().unresolved.add();
  }
  return std::move(choice.flow);
}

void FederationEdge::nextHopWhenKnown(const sip::SipMessage& request, routing::ShardRouter& router,
                                      HopDone done) {
  HopChoice choice = chooseHop(request, router);
  if (choice.lookup.empty()) {
    done(std::move(choice.flow));
    return;
  }
  const FederationCounters& c = FederationCounters::get();
  if (waiting_.size() >= kMaxWaiting) {
    c.wait_refused.add();
    LOG_WARN("federation: %s %s not sent: %zu requests already wait for DNS",
             std::string(request.methodText()).c_str(), choice.lookup.c_str(), waiting_.size());
    done(std::nullopt);
    return;
  }
  uv_loop_t& loop = router.shard().loop();
  if (!wait_timer_) {
    wait_timer_ = std::make_unique<uv::Timer>(loop, [this, &loop] { expireWaiting(loop); });
  }
  const uint64_t id = next_waiter_++;
  const bool first = waiting_.empty();
  waiting_.emplace(id,
                   Waiter{uv_now(&loop) + options_.hop_wait_ms, choice.lookup, std::move(done)});
  if (first) {
    wait_timer_->start(options_.hop_wait_ms);
  }
  findHops(choice.lookup, [this, id, &router, alive = alive_](Result<std::vector<Hop>> hops) {
    if (*alive) {
      finishWaiting(id, std::move(hops), router);
    }
  });
}

void FederationEdge::finishWaiting(uint64_t id, Result<std::vector<Hop>> hops,
                                   routing::ShardRouter& router) {
  auto it = waiting_.find(id);
  if (it == waiting_.end()) {
    return;  // timed out already
  }
  Waiter waiter = std::move(it->second);
  waiting_.erase(it);
  if (waiting_.empty() && wait_timer_) {
    wait_timer_->stop();
  }
  const FederationCounters& c = FederationCounters::get();
  if (!hops || hops->empty()) {
    c.unresolved.add();
    LOG_INFO("federation: no route to %s for a request of ours: %s", waiter.domain.c_str(),
             hops ? "no hops" : hops.error().detail.c_str());
    waiter.done(std::nullopt);
    return;
  }
  c.wait_resolved.add();
  waiter.done(flowTo(hops->front(), router));
}

void FederationEdge::expireWaiting(uv_loop_t& loop) {
  const uint64_t now = uv_now(&loop);
  // Taken out first: a `done` may queue new requests.
  std::vector<Waiter> expired;
  while (!waiting_.empty() && waiting_.begin()->second.deadline_ms <= now) {
    expired.push_back(std::move(waiting_.begin()->second));
    waiting_.erase(waiting_.begin());
  }
  if (!waiting_.empty()) {
    wait_timer_->start(waiting_.begin()->second.deadline_ms - now);
  }
  for (Waiter& waiter : expired) {
    FederationCounters::get().wait_timed_out.add();
    LOG_WARN("federation: a request of ours to %s gave up after %u ms waiting for DNS",
             waiter.domain.c_str(), options_.hop_wait_ms);
    waiter.done(std::nullopt);
  }
}

}  // namespace proxy::federation
