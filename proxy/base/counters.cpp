// SPDX-License-Identifier: Apache-2.0
#include "proxy/base/counters.h"

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>

namespace proxy::counters {
namespace {
struct Registry {
  std::mutex mutex;  // guards creation only; increments go straight to the atomic cell
  std::map<std::string, std::atomic<uint64_t>*, std::less<>> by_name;
  std::deque<std::atomic<uint64_t>> cells;  // deque: cells never move once created
};
Registry& registry() {
  static Registry* r = new Registry();  // leaked on purpose: usable during static destruction
  return *r;
}
}  // namespace

Counter get(std::string_view name) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  auto it = r.by_name.find(name);
  if (it != r.by_name.end()) {
    return Counter(it->second);
  }
  std::atomic<uint64_t>* cell = &r.cells.emplace_back(0);
  r.by_name.emplace(std::string(name), cell);
  return Counter(cell);
}

void add(std::string_view name, uint64_t n) { get(name).add(n); }

std::vector<std::pair<std::string, uint64_t>> snapshot() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<std::pair<std::string, uint64_t>> out;
  out.reserve(r.by_name.size());
  for (const auto& [name, cell] : r.by_name) {
    out.emplace_back(name, cell->load(std::memory_order_relaxed));
  }
  return out;
}

void resetForTest() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  for (auto& cell : r.cells) {
    cell.store(0);
  }
}

}  // namespace proxy::counters
