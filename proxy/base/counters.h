// SPDX-License-Identifier: Apache-2.0
// Process-wide named counters (requests by method, responses by class, drops by
// reason, ...). Names are interned once; incrementing an existing counter takes
// no lock and allocates nothing, so it is safe on the message path.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace proxy::counters {

// A stable handle to one counter. Obtain once (e.g. in a static) and bump freely.
class Counter {
 public:
  Counter() : cell_(&unbound()) {}  // counts into a shared scratch cell until assigned
  explicit Counter(std::atomic<uint64_t>* cell) : cell_(cell) {}
  void add(uint64_t n = 1) const { cell_->fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return cell_->load(std::memory_order_relaxed); }

 private:
  static std::atomic<uint64_t>& unbound() {
    static std::atomic<uint64_t> cell{0};
    return cell;
  }
  std::atomic<uint64_t>* cell_;
};

// Returns the counter with this name, creating it at zero the first time.
Counter get(std::string_view name);

// Convenience for cold paths: get(name).add(n).
void add(std::string_view name, uint64_t n = 1);

// A consistent-enough copy of every counter, sorted by name.
std::vector<std::pair<std::string, uint64_t>> snapshot();

// Resets every counter to zero (tests only).
void resetForTest();

}  // namespace proxy::counters
