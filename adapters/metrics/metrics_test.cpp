// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>

#include "adapters/metrics/metrics_server.h"
#include "proxy/base/counters.h"

namespace adapters::metrics {
namespace {

// One HTTP/1.0 request on loopback; the whole response (bounded by a 3 s timeout).
std::string httpGet(uint16_t port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  timeval timeout{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  REQUIRE(send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  std::string response;
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) {
    response.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return response;
}

}  // namespace

TEST_CASE("counter names become Prometheus metric names") {
  CHECK(counterMetricName("sip.requests.register") == "confab_sip_requests_register_total");
  CHECK(counterMetricName("adapter.click-to-chat.dropped") ==
        "confab_adapter_click_to_chat_dropped_total");
}

TEST_CASE("the text format has HELP and TYPE lines for counters and gauges") {
  const std::string text = renderPrometheus({{"a.b", 3}, {"a_b", 4}, {"c", 0}},
                                            {{"confab_adapters_running", "Plugins running", 2}});
  CHECK(text.find("# HELP confab_a_b_total Confab counter a.b\n"
                  "# TYPE confab_a_b_total counter\n"
                  "confab_a_b_total 3\n") != std::string::npos);
  CHECK(text.find("confab_a_b_total 4") == std::string::npos);  // folded names appear once
  CHECK(text.find("confab_c_total 0\n") != std::string::npos);
  CHECK(text.find("# TYPE confab_adapters_running gauge\nconfab_adapters_running 2\n") !=
        std::string::npos);
}

TEST_CASE("GET /metrics serves every counter; other paths get 404") {
  proxy::counters::add("metrics_test.hits", 7);
  MetricsOptions options;
  options.gauges = [] { return std::vector<Gauge>{{"confab_test_gauge", "A test gauge", 1.5}}; };
  auto server = MetricsServer::start(options);
  REQUIRE(server);
  REQUIRE((*server)->port() != 0);
  const std::string page = httpGet((*server)->port(), "/metrics");
  CHECK(page.find(" 200 ") == 8);  // "HTTP/1.x 200 OK"
  CHECK(page.find("text/plain; version=0.0.4") != std::string::npos);
  CHECK(page.find("confab_metrics_test_hits_total 7\n") != std::string::npos);
  CHECK(page.find("confab_test_gauge 1.5\n") != std::string::npos);
  const std::string missing = httpGet((*server)->port(), "/nope");
  CHECK(missing.find(" 404") != std::string::npos);
}

}  // namespace adapters::metrics
