// SPDX-License-Identifier: Apache-2.0
// The Prometheus endpoint: `GET /metrics` over HTTP (proxy::http::HttpServer: libwebsockets
// on libuv), served from its own thread and loop so scrapes never touch a SIP shard. It
// reads the process counters (lock-free atomics) and the gauges callback, which
// must be thread-safe and cheap.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "adapters/metrics/prometheus_text.h"
#include "proxy/base/result.h"
#include "proxy/http/http_server.h"

namespace adapters::metrics {

struct MetricsOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0 = ephemeral (the bound port is logged and in port())
  std::function<std::vector<Gauge>()> gauges;
};

class MetricsServer {
 public:
  static proxy::Result<std::unique_ptr<MetricsServer>> start(MetricsOptions options);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  uint16_t port() const { return http_->port(); }
  // The page a scrape gets (also for tests).
  std::string render() const;

 private:
  MetricsServer() = default;

  MetricsOptions options_;
  std::unique_ptr<proxy::http::HttpServer> http_;  // last: stopped before the rest goes
};

}  // namespace adapters::metrics
