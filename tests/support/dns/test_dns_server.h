// SPDX-License-Identifier: Apache-2.0
// An authoritative DNS server for tests, on loopback UDP, serving a Zone from its
// own thread. Unit tests run it in-process; confab-test-dns wraps it for
// integration tests. The zone can be swapped at any time (failover and TTL tests),
// and every query is counted per (name, type) so tests can prove a cache answered.
// UDP only: resolvers use TCP only after a truncated answer, and test zones are small.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "proxy/base/result.h"
#include "tests/support/dns/zone.h"

namespace confab::testdns {

class TestDnsServer {
 public:
  // Binds UDP on address:port (0 = ephemeral) and starts serving. With `log_queries`
  // every query is written to stderr ("dns: b.test NAPTR -> NOERROR 2").
  static proxy::Result<std::unique_ptr<TestDnsServer>> start(Zone zone,
                                                             std::string address = "127.0.0.1",
                                                             uint16_t port = 0,
                                                             bool log_queries = false);
  ~TestDnsServer();  // stops the thread and closes the socket
  TestDnsServer(const TestDnsServer&) = delete;
  TestDnsServer& operator=(const TestDnsServer&) = delete;

  uint16_t port() const { return port_; }
  // "127.0.0.1:<port>", the form DnsOptions::servers and ares_set_servers_ports_csv take.
  std::string serverSpec() const;

  void setZone(Zone zone);  // thread-safe; the next query sees it
  size_t queryCount() const;
  size_t queryCount(std::string_view name, RecordType type) const;

 private:
  TestDnsServer() = default;
  void serve();

  std::string address_;
  uint16_t port_ = 0;
  int udp_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  bool log_queries_ = false;
  mutable std::mutex mutex_;  // guards zone_ and counts_ (test tool; not a message path)
  Zone zone_;
  std::map<std::pair<std::string, uint16_t>, size_t> counts_;
  size_t total_ = 0;
  std::thread thread_;
};

}  // namespace confab::testdns
