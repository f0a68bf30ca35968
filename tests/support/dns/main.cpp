// SPDX-License-Identifier: Apache-2.0
// confab-test-dns: serves a YAML zone (see zone.h) on loopback UDP for integration tests.
//
//   confab-test-dns --zone zone.yaml [--address 127.0.0.1] [--port 0]
//
// Prints "port=<n>" as the first stdout line once it is serving, logs each query on
// stderr, reloads the zone file on SIGHUP (a bad file keeps the old zone) and exits
// 0 on SIGTERM or SIGINT.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "proxy/base/strings.h"
#include "tests/support/dns/test_dns_server.h"

using confab::testdns::TestDnsServer;

namespace {

int usage() {
  fprintf(stderr, "usage: confab-test-dns --zone FILE [--address IP] [--port N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string zone_file;
  std::string address = "127.0.0.1";
  uint16_t port = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--zone") {
      zone_file = argv[i + 1];
    } else if (flag == "--address") {
      address = argv[i + 1];
    } else if (flag == "--port") {
      auto p = proxy::parseUnsigned<uint16_t>(argv[i + 1]);
      if (!p) {
        return usage();
      }
      port = *p;
    } else {
      return usage();
    }
  }
  if (zone_file.empty() || argc % 2 == 0) {
    return usage();
  }

  // Block the signals before the server thread exists so only sigwait() sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto zone = confab::testdns::loadZoneFile(zone_file);
  if (!zone) {
    fprintf(stderr, "confab-test-dns: %s\n", zone.error().detail.c_str());
    return 1;
  }
  auto server = TestDnsServer::start(std::move(*zone), address, port, /*log_queries=*/true);
  if (!server) {
    fprintf(stderr, "confab-test-dns: %s\n", server.error().detail.c_str());
    return 1;
  }
  printf("port=%u\n", (*server)->port());
  fflush(stdout);

  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) {
      return 1;
    }
    if (sig != SIGHUP) {
      fprintf(stderr, "confab-test-dns: exiting on signal %d\n", sig);
      return 0;
    }
    auto reloaded = confab::testdns::loadZoneFile(zone_file);
    if (!reloaded) {
      fprintf(stderr, "confab-test-dns: reload failed, keeping the old zone: %s\n",
              reloaded.error().detail.c_str());
      continue;
    }
    (*server)->setZone(std::move(*reloaded));
    fprintf(stderr, "confab-test-dns: zone reloaded from %s\n", zone_file.c_str());
  }
}
