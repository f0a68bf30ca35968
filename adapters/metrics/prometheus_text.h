// SPDX-License-Identifier: Apache-2.0
// The Prometheus text exposition format, version 0.0.4: every process counter
// (proxy/base/counters.h) as `confab_<name>_total`, dots and other characters a
// metric name may not hold turned into underscores, plus a few gauges. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace adapters::metrics {

struct Gauge {
  std::string name;  // already a metric name, "confab_adapters_running"
  std::string help;
  double value = 0;
};

// "registrar.register-ok" -> "confab_registrar_register_ok_total".
std::string counterMetricName(std::string_view counter);

std::string renderPrometheus(const std::vector<std::pair<std::string, uint64_t>>& counters,
                             const std::vector<Gauge>& gauges);

}  // namespace adapters::metrics
