// SPDX-License-Identifier: Apache-2.0
#include "proxy/dns/sip_locator.h"

#include <arpa/nameser.h>

#include <algorithm>

#include "proxy/base/counters.h"
#include "proxy/base/log.h"
#include "proxy/base/random.h"
#include "proxy/base/strings.h"
#include "proxy/dns/ares_channel.h"

namespace proxy::dns {
namespace {

using transport::Address;
using transport::Protocol;

constexpr uint16_t kSipPort = 5060;
constexpr uint16_t kSipsPort = 5061;
constexpr size_t kMaxCacheEntries = 10'000;  // per locator; a flood of names cannot grow it further

const counters::Counter& failures() {
  static const counters::Counter counter = counters::get("dns.failures");
  return counter;
}

const counters::Counter& cacheHits() {
  static const counters::Counter counter = counters::get("dns.cache_hits");
  return counter;
}

// "Nothing there" rather than "could not ask": the next RFC 3263 step applies.
bool isNoData(int status) { return status == ARES_ENODATA || status == ARES_ENOTFOUND; }

Error dnsError(std::string detail) { return makeError(503, std::move(detail)); }

Address withPort(const Address& address, uint16_t port) {
  return Address::fromIpPort(address.ip(), port).value_or(address);
}

// Adds a hop unless the same protocol+address is already listed (several SRV names
// often point at one edge).
void addHop(std::vector<NextHop>& hops, NextHop hop) {
  for (const auto& h : hops) {
    if (h.protocol == hop.protocol && h.address == hop.address) {
      return;
    }
  }
  hops.push_back(std::move(hop));
}

// RFC 3263 §4.2 without SRV: TLS on 5061 preferred, then TCP and UDP on 5060.
std::vector<NextHop> defaultPortHops(const std::vector<Address>& addresses,
                                     const std::string& domain) {
  std::vector<NextHop> hops;
  for (auto [protocol, port] :
       {std::pair{Protocol::Tls, kSipsPort}, std::pair{Protocol::Tcp, kSipPort},
        std::pair{Protocol::Udp, kSipPort}}) {
    for (const auto& a : addresses) {
      addHop(hops, {protocol, withPort(a, port), domain});
    }
  }
  return hops;
}

Result<std::vector<NextHop>> selectHops(const Result<std::vector<NextHop>>& all,
                                        const std::vector<Protocol>& allowed,
                                        std::string_view domain) {
  if (!all || allowed.empty()) {
    return all;
  }
  std::vector<NextHop> hops;
  for (const auto& hop : all.value()) {
    if (std::find(allowed.begin(), allowed.end(), hop.protocol) != allowed.end()) {
      hops.push_back(hop);
    }
  }
  auto rank = [&](Protocol p) {
    return std::find(allowed.begin(), allowed.end(), p) - allowed.begin();
  };
  std::stable_sort(hops.begin(), hops.end(), [&](const NextHop& a, const NextHop& b) {
    return rank(a.protocol) < rank(b.protocol);
  });
  if (hops.empty()) {
    return dnsError("no next hop for " + std::string(domain) + " over the allowed transports");
  }
  return hops;
}

}  // namespace

struct SipLocator::LocateJob {
  struct Service {
    Service(Protocol p, std::string name) : protocol(p), srv_name(std::move(name)) {}
    Protocol protocol;
    std::string srv_name;
    int status = ARES_SUCCESS;
    std::vector<SrvRecord> records;
  };
  struct Target {
    Protocol protocol;
    std::string host;
    uint16_t port;
  };
  std::string domain;
  uint32_t ttl_s;  // the smallest TTL seen so far
  std::vector<Service> services;
  std::vector<Target> targets;
  std::map<std::string, Result<HostAddresses>> hosts;
  size_t outstanding = 0;

  void lowerTtl(uint32_t ttl) { ttl_s = std::min(ttl_s, ttl); }
};

struct SipLocator::HostJob {
  std::string host;
  int outstanding = 2;  // A and AAAA
  HostAddresses found{{}, UINT32_MAX};
  int hard_status = ARES_SUCCESS;  // a failure other than "no such records"
};

Result<std::unique_ptr<SipLocator>> SipLocator::create(uv_loop_t* loop, DnsOptions options) {
  if (loop == nullptr) {
    return makeError(500, "SipLocator needs a loop");
  }
  auto channel = AresChannel::create(loop, options.servers, options.timeout_ms);
  if (!channel) {
    return channel.error();
  }
  return std::unique_ptr<SipLocator>(new SipLocator(std::move(options), std::move(*channel)));
}

SipLocator::SipLocator(DnsOptions options, std::unique_ptr<AresChannel> channel)
    : options_(std::move(options)), channel_(std::move(channel)) {}

SipLocator::~SipLocator() {
  *alive_ = false;
  // First: the channel drops its pending completions, which hold jobs and `this`.
  channel_.reset();
}

int64_t SipLocator::nowMs() const {
  return (options_.clock != nullptr ? *options_.clock : SystemClock::instance()).monotonicMs();
}

size_t SipLocator::pendingQueries() const { return channel_->pending(); }

template <typename T>
void SipLocator::store(std::map<std::string, CacheEntry<T>>& cache, const std::string& key,
                       const Result<T>& result, uint32_t ttl_s) {
  if (ttl_s == 0) {
    cache.erase(key);
    return;
  }
  if (cache.size() >= kMaxCacheEntries) {
    int64_t now = nowMs();
    std::erase_if(cache, [now](const auto& kv) { return kv.second.expires_ms <= now; });
    if (cache.size() >= kMaxCacheEntries) {
      cache.clear();
    }
  }
  cache.insert_or_assign(key, CacheEntry<T>{result, nowMs() + int64_t{ttl_s} * 1000});
}

std::optional<std::vector<NextHop>> SipLocator::cached(std::string_view domain) const {
  auto it = locate_cache_.find(normaliseDomain(domain));
  if (it == locate_cache_.end() || it->second.expires_ms <= nowMs() || !it->second.result) {
    return std::nullopt;
  }
  return it->second.result.value();
}

// ---- explicit hosts --------------------------------------------------------------------------

void SipLocator::resolveHost(std::string_view host, uint16_t port, Protocol protocol,
                             std::string tls_name, LocateDone done) {
  if (auto literal = Address::fromIpPort(trim(host), port)) {
    done(std::vector<NextHop>{{protocol, *literal, std::move(tls_name)}});
    return;
  }
  std::string name = normaliseDomain(host);
  if (name.empty()) {
    failures().add();
    done(dnsError("invalid host name '" + std::string(host) + "'"));
    return;
  }
  lookupHost(name, [port, protocol, tls_name = std::move(tls_name),
                    done = std::move(done)](Result<HostAddresses> found) {
    if (!found) {
      failures().add();
      done(found.error());
      return;
    }
    std::vector<NextHop> hops;
    for (const auto& a : found->addresses) {
      addHop(hops, {protocol, withPort(a, port), tls_name});
    }
    done(std::move(hops));
  });
}

void SipLocator::lookupHost(const std::string& host, HostDone done) {
  if (auto it = host_cache_.find(host);
      it != host_cache_.end() && it->second.expires_ms > nowMs()) {
    cacheHits().add();
    Result<HostAddresses> found = it->second.result;
    if (found) {  // what is left of the TTL, so a locate answer built on it expires in time
      found->ttl_s = static_cast<uint32_t>((it->second.expires_ms - nowMs()) / 1000);
    }
    done(std::move(found));
    return;
  }
  auto& waiters = host_waiters_[host];
  waiters.push_back(std::move(done));
  if (waiters.size() > 1) {
    return;  // coalesced with the lookup already running
  }
  auto job = std::make_shared<HostJob>();
  job->host = host;
  for (int type : {ns_t_a, ns_t_aaaa}) {
    channel_->query(
        host, type, [this, job, type](int status, const std::vector<unsigned char>& answer) {
          if (status == ARES_SUCCESS) {
            auto parsed = type == ns_t_a ? parseA(answer) : parseAaaa(answer);
            if (parsed) {
              for (auto& a : parsed->addresses) {
                if (job->found.addresses.size() < kMaxTargets) {
                  job->found.addresses.push_back(a);
                }
              }
              job->found.ttl_s = std::min(job->found.ttl_s, parsed->ttl_s);
            }
          } else if (!isNoData(status)) {
            job->hard_status = status;
          }
          if (--job->outstanding > 0) {
            return;
          }
          // A before AAAA regardless of which answered first.
          std::stable_partition(job->found.addresses.begin(), job->found.addresses.end(),
                                [](const Address& a) { return a.family() == AF_INET; });
          if (!job->found.addresses.empty()) {
            finishHost(job->host, job->found);
          } else if (job->hard_status != ARES_SUCCESS) {
            finishHost(job->host, dnsError("A/AAAA lookup of " + job->host +
                                           " failed: " + ares_strerror(job->hard_status)));
          } else {
            finishHost(job->host, dnsError("no A/AAAA records for " + job->host));
          }
        });
  }
}

void SipLocator::finishHost(const std::string& host, Result<HostAddresses> result) {
  if (result) {
    store(host_cache_, host, result, std::min(result->ttl_s, options_.max_ttl_s));
  } else {
    LOG_DEBUG("dns: host %s: %s", host.c_str(), result.error().detail.c_str());
    store(host_cache_, host, result, options_.negative_ttl_s);
  }
  auto waiters = std::move(host_waiters_[host]);
  host_waiters_.erase(host);
  std::shared_ptr<bool> alive = alive_;
  for (auto& done : waiters) {
    if (!*alive) {
      return;  // a callback destroyed the locator: the rest are cancelled
    }
    done(result);
  }
}

// ---- RFC 3263 location -----------------------------------------------------------------------

void SipLocator::locate(std::string_view domain, std::vector<Protocol> allowed, LocateDone done) {
  std::string name = normaliseDomain(domain);
  if (name.empty()) {
    failures().add();
    done(dnsError("invalid domain '" + std::string(domain) + "'"));
    return;
  }
  if (auto literal = Address::fromIpPort(name, 0)) {
    done(selectHops(defaultPortHops({*literal}, name), allowed, name));
    return;
  }
  if (auto it = locate_cache_.find(name);
      it != locate_cache_.end() && it->second.expires_ms > nowMs()) {
    cacheHits().add();
    if (!it->second.result) {
      failures().add();
    }
    done(selectHops(it->second.result, allowed, name));
    return;
  }
  auto& waiters = locate_waiters_[name];
  waiters.push_back({std::move(allowed), std::move(done)});
  if (waiters.size() == 1) {
    startLocate(name);
  }
}

void SipLocator::startLocate(const std::string& domain) {
  auto job = std::make_shared<LocateJob>();
  job->domain = domain;
  job->ttl_s = options_.max_ttl_s;
  channel_->query(domain, ns_t_naptr,
                  [this, job](int status, const std::vector<unsigned char>& answer) {
                    onNaptr(job, status, answer);
                  });
}

void SipLocator::onNaptr(const std::shared_ptr<LocateJob>& job, int status,
                         const std::vector<unsigned char>& answer) {
  if (status != ARES_SUCCESS && !isNoData(status)) {
    // The server did not answer properly; SRV queries to it would only add delay.
    finishLocate(job->domain,
                 dnsError("NAPTR lookup of " + job->domain + " failed: " + ares_strerror(status)),
                 options_.negative_ttl_s);
    return;
  }
  if (status == ARES_SUCCESS) {
    if (auto records = parseNaptr(answer)) {
      for (auto& r : usableNaptr(std::move(*records))) {
        job->services.emplace_back(*naptrServiceProtocol(r.service),
                                   normaliseDomain(r.replacement));
      }
      if (!job->services.empty()) {
        job->lowerTtl(minAnswerTtl(answer).value_or(0));
      }
    }
  }
  if (job->services.empty()) {  // RFC 3263 §4.1: no (usable) NAPTR, try the SRV names
    const std::string& d = job->domain;
    job->services = {{Protocol::Tls, "_sips._tcp." + d},
                     {Protocol::Tls, "_sipfederationtls._tcp." + d},
                     {Protocol::Tcp, "_sip._tcp." + d},
                     {Protocol::Udp, "_sip._udp." + d}};
  }
  querySrv(job);
}

void SipLocator::querySrv(const std::shared_ptr<LocateJob>& job) {
  job->outstanding = job->services.size();
  for (size_t i = 0; i < job->services.size(); ++i) {
    channel_->query(job->services[i].srv_name, ns_t_srv,
                    [this, job, i](int status, const std::vector<unsigned char>& answer) {
                      auto& service = job->services[i];
                      service.status = status;
                      if (status == ARES_SUCCESS) {
                        if (auto records = parseSrv(answer)) {
                          service.records = std::move(*records);
                          job->lowerTtl(minAnswerTtl(answer).value_or(0));
                        }
                      }
                      if (--job->outstanding == 0) {
                        onSrvDone(job);
                      }
                    });
  }
}

void SipLocator::onSrvDone(const std::shared_ptr<LocateJob>& job) {
  int hard_status = ARES_SUCCESS;
  for (auto& service : job->services) {
    if (service.status != ARES_SUCCESS && !isNoData(service.status)) {
      hard_status = service.status;
    }
    for (auto& r : orderSrv(std::move(service.records), [] { return random64(); })) {
      if (job->targets.size() < kMaxTargets) {
        job->targets.push_back({service.protocol, normaliseDomain(r.target), r.port});
      }
    }
  }
  if (!job->targets.empty()) {
    resolveTargets(job);
  } else if (hard_status != ARES_SUCCESS) {
    finishLocate(
        job->domain,
        dnsError("SRV lookup for " + job->domain + " failed: " + ares_strerror(hard_status)),
        options_.negative_ttl_s);
  } else {
    locateByAddress(job);
  }
}

void SipLocator::locateByAddress(const std::shared_ptr<LocateJob>& job) {
  lookupHost(job->domain, [this, job](Result<HostAddresses> found) {
    if (!found) {
      finishLocate(job->domain,
                   dnsError("no NAPTR, SRV or address records for " + job->domain + " (" +
                            found.error().detail + ")"),
                   options_.negative_ttl_s);
      return;
    }
    job->lowerTtl(found->ttl_s);
    finishLocate(job->domain, defaultPortHops(found->addresses, job->domain), job->ttl_s);
  });
}

void SipLocator::resolveTargets(const std::shared_ptr<LocateJob>& job) {
  std::vector<std::string> hosts;
  for (const auto& t : job->targets) {
    if (std::find(hosts.begin(), hosts.end(), t.host) == hosts.end()) {
      hosts.push_back(t.host);
    }
  }
  auto assemble = [this, job] {
    std::vector<NextHop> hops;
    for (const auto& t : job->targets) {
      const auto& found = job->hosts.at(t.host);
      if (!found) {
        continue;  // one dead target must not hide the others
      }
      job->lowerTtl(found->ttl_s);
      for (const auto& a : found->addresses) {
        addHop(hops, {t.protocol, withPort(a, t.port), job->domain});
      }
    }
    if (hops.empty()) {
      finishLocate(job->domain,
                   dnsError("no SRV target of " + job->domain + " has an address (" +
                            job->hosts.at(job->targets.front().host).error().detail + ")"),
                   options_.negative_ttl_s);
      return;
    }
    finishLocate(job->domain, std::move(hops), job->ttl_s);
  };
  // One extra count while issuing: cached hosts answer synchronously, and the job must
  // not finish before every host has been asked.
  job->outstanding = hosts.size() + 1;
  for (const auto& host : hosts) {
    lookupHost(host, [job, host, assemble](Result<HostAddresses> found) {
      job->hosts.insert_or_assign(host, std::move(found));
      if (--job->outstanding == 0) {
        assemble();
      }
    });
  }
  if (--job->outstanding == 0) {
    assemble();
  }
}

void SipLocator::finishLocate(const std::string& domain, Result<std::vector<NextHop>> result,
                              uint32_t ttl_s) {
  if (result) {
    store(locate_cache_, domain, result, std::min(ttl_s, options_.max_ttl_s));
  } else {
    LOG_WARN("dns: cannot locate SIP servers of %s: %s", domain.c_str(),
             result.error().detail.c_str());
    store(locate_cache_, domain, result, options_.negative_ttl_s);
  }
  auto waiters = std::move(locate_waiters_[domain]);
  locate_waiters_.erase(domain);
  std::shared_ptr<bool> alive = alive_;
  for (auto& waiter : waiters) {
    if (!*alive) {
      return;  // a callback destroyed the locator: the rest are cancelled
    }
    if (!result) {
      failures().add();
    }
    waiter.done(selectHops(result, waiter.allowed, domain));
  }
}

}  // namespace proxy::dns
