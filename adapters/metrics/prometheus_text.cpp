// SPDX-License-Identifier: Apache-2.0
#include "adapters/metrics/prometheus_text.h"

#include <cmath>
#include <cstdio>
#include <set>

namespace adapters::metrics {

namespace {

bool nameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::string number(double v) {
  if (std::isnan(v)) {
    return "NaN";
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

std::string counterMetricName(std::string_view counter) {
  std::string out = "confab_";
  for (char c : counter) {
    out.push_back(nameChar(c) ? c : '_');
  }
  out += "_total";
  return out;
}

std::string renderPrometheus(const std::vector<std::pair<std::string, uint64_t>>& counters,
                             const std::vector<Gauge>& gauges) {
  std::string out;
  out.reserve(counters.size() * 120 + 256);
  std::set<std::string> seen;  // two counters may fold into one name ("a.b" and "a_b")
  for (const auto& [name, value] : counters) {
    const std::string metric = counterMetricName(name);
    if (!seen.insert(metric).second) {
      continue;
    }
    out += "# HELP " + metric + " Confab counter " + name + "\n";
    out += "# TYPE " + metric + " counter\n";
    out += metric + " " + std::to_string(value) + "\n";
  }
  for (const Gauge& gauge : gauges) {
    out += "# HELP " + gauge.name + " " + gauge.help + "\n";
    out += "# TYPE " + gauge.name + " gauge\n";
    out += gauge.name + " " + number(gauge.value) + "\n";
  }
  return out;
}

}  // namespace adapters::metrics
