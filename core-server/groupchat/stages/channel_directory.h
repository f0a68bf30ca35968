// SPDX-License-Identifier: Apache-2.0
// The channel services of the process and their live session counts, shared by
// every shard: the channel shards count their sessions, the lookup service
// reads the counts to name the least-loaded channel service in rpl:requri.
// Counters are relaxed atomics: a slightly stale load is fine for balancing.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace core::groupchat {

class ChannelDirectory {
 public:
  // `aors`: channel service AORs (user@domain), at least one.
  explicit ChannelDirectory(std::vector<std::string> aors)
      : aors_(std::move(aors)), load_(new std::atomic<int64_t>[aors_.size()]) {
    for (size_t i = 0; i < aors_.size(); ++i) {
      load_[i].store(0, std::memory_order_relaxed);
    }
  }

  const std::vector<std::string>& aors() const { return aors_; }
  // Index of a channel AOR, or -1.
  int indexOf(std::string_view aor) const {
    for (size_t i = 0; i < aors_.size(); ++i) {
      if (aors_[i] == aor) {
        return static_cast<int>(i);
      }
    }
    return -1;
  }
  void add(int index, int64_t delta) { load_[index].fetch_add(delta, std::memory_order_relaxed); }
  int64_t load(int index) const { return load_[index].load(std::memory_order_relaxed); }
  // The AOR with the fewest sessions (the first on ties).
  const std::string& leastLoaded() const {
    size_t best = 0;
    for (size_t i = 1; i < aors_.size(); ++i) {
      if (load(static_cast<int>(i)) < load(static_cast<int>(best))) {
        best = i;
      }
    }
    return aors_[best];
  }

 private:
  std::vector<std::string> aors_;
  std::unique_ptr<std::atomic<int64_t>[]> load_;
};

}  // namespace core::groupchat
