// SPDX-License-Identifier: Apache-2.0
// Locating SIP servers of another domain (RFC 3263 §4) for the federation edge.
//
// Steps for locate("b.test"):
//   1. NAPTR b.test: keep "s"-flag records whose service is SIPS+D2T (TLS),
//      SIP+D2T (TCP) or SIP+D2U (UDP), by order then preference; each names an
//      SRV domain (OCS/Lync edges publish SIPS+D2T -> _sipfederationtls._tcp).
//   2. Without usable NAPTR records: SRV _sips._tcp, _sipfederationtls._tcp
//      (TLS), _sip._tcp (TCP), _sip._udp (UDP), in that order.
//   3. SRV targets by priority, then weighted-random (RFC 2782); each target's
//      A then AAAA addresses, with the SRV port.
//   4. Without SRV records: A/AAAA of the domain itself, TLS on 5061 first,
//      then TCP and UDP on 5060.
// Every hop carries tls_name = the located domain (RFC 5922: the certificate must
// name the domain we meant to reach, not whatever the SRV target is called).
//
// Why c-ares on the shard loop: resolution must never block a shard, and
// getaddrinfo cannot do SRV/NAPTR at all. c-ares runs its sockets as uv_poll_t
// handles and its timeouts on a uv_timer_t (see ares_channel.h), so each shard
// resolves on its own loop, without threads or locks.
//
// Answers are cached per domain (and per host) for min(TTL, max_ttl_s); failures
// for negative_ttl_s. Identical concurrent lookups share one set of queries.
// Counters: dns.queries (each DNS query sent), dns.failures (each failed
// locate/resolveHost), dns.cache_hits (answered from the cache).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/clock.h"
#include "proxy/base/result.h"
#include "proxy/dns/dns_records.h"
#include "proxy/transport/transport.h"

namespace proxy::dns {

class AresChannel;

struct DnsOptions {
  std::vector<std::string> servers;  // "127.0.0.1:5353", "[::1]:53"; empty = system resolv.conf
  uint32_t timeout_ms = 2000;        // per query and server: each server is tried once
  uint32_t max_ttl_s = 3600;         // cache at most this long
  uint32_t negative_ttl_s = 30;      // cache failures this long
  const Clock* clock = nullptr;      // cache expiry time source; null = SystemClock (tests: Manual)
};

struct NextHop {
  transport::Protocol protocol = transport::Protocol::Udp;
  transport::Address address;  // ip + port
  std::string tls_name;        // the domain the peer's certificate must name (RFC 5922)
};

// An ordered list: try [0], fail over to [1]... Never empty on success. On failure
// the Error has status 503 and a detail naming the domain and the reason.
using LocateDone = std::function<void(proxy::Result<std::vector<NextHop>>)>;

// One per shard, used only on that shard's loop thread.
//
// Callbacks: `done` runs on the loop. It runs before locate()/resolveHost() returns
// when the answer needs no query (IP literal, cached answer or cached failure, invalid
// name); otherwise later, from a loop callback, never from inside c-ares. A callback
// may start new lookups or destroy the locator.
class SipLocator {
 public:
  static proxy::Result<std::unique_ptr<SipLocator>> create(uv_loop_t* loop, DnsOptions options);
  // Pending lookups are cancelled: their callbacks do NOT run (they are destroyed,
  // releasing what they captured). The uv handles are closed; run the loop once more
  // to free them, as for any uv handle.
  ~SipLocator();
  SipLocator(const SipLocator&) = delete;
  SipLocator& operator=(const SipLocator&) = delete;

  // RFC 3263 §4 for `domain` (steps above). `allowed` restricts the transports and
  // orders them: hops are kept only for protocols in `allowed`, stably sorted by their
  // position there (so {Tls} means TLS only, {Tls, Tcp} prefers TLS). Empty = all, in
  // the domain's own order. An IP-literal domain gives TLS 5061, TCP 5060, UDP 5060.
  void locate(std::string_view domain, std::vector<transport::Protocol> allowed, LocateDone done);

  // An explicit host (IP literal -> immediate, or name -> A then AAAA) with port and protocol.
  void resolveHost(std::string_view host, uint16_t port, transport::Protocol protocol,
                   std::string tls_name, LocateDone done);

  // The cached answer of an earlier locate() for `domain` still within its TTL, without
  // querying (for synchronous callers); all transports, in the domain's order.
  std::optional<std::vector<NextHop>> cached(std::string_view domain) const;

  // DNS queries sent and not yet answered (or answered and not yet handled).
  size_t pendingQueries() const;

 private:
  struct LocateJob;
  struct HostJob;
  template <typename T>
  struct CacheEntry {
    Result<T> result;
    int64_t expires_ms;
  };
  using HostDone = std::function<void(Result<HostAddresses>)>;
  struct LocateWaiter {
    std::vector<transport::Protocol> allowed;
    LocateDone done;
  };

  SipLocator(DnsOptions options, std::unique_ptr<AresChannel> channel);
  int64_t nowMs() const;
  void lookupHost(const std::string& host, HostDone done);
  void finishHost(const std::string& host, Result<HostAddresses> result);
  void startLocate(const std::string& domain);
  void onNaptr(const std::shared_ptr<LocateJob>& job, int status,
               const std::vector<unsigned char>& answer);
  void querySrv(const std::shared_ptr<LocateJob>& job);
  void onSrvDone(const std::shared_ptr<LocateJob>& job);
  void locateByAddress(const std::shared_ptr<LocateJob>& job);
  void resolveTargets(const std::shared_ptr<LocateJob>& job);
  void finishLocate(const std::string& domain, Result<std::vector<NextHop>> result, uint32_t ttl_s);
  template <typename T>
  void store(std::map<std::string, CacheEntry<T>>& cache, const std::string& key,
             const Result<T>& result, uint32_t ttl_s);

  DnsOptions options_;
  std::unique_ptr<AresChannel> channel_;
  std::map<std::string, CacheEntry<std::vector<NextHop>>> locate_cache_;
  std::map<std::string, CacheEntry<HostAddresses>> host_cache_;
  std::map<std::string, std::vector<LocateWaiter>> locate_waiters_;
  std::map<std::string, std::vector<HostDone>> host_waiters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // false once destroyed
};

}  // namespace proxy::dns
