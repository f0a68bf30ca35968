// SPDX-License-Identifier: Apache-2.0
// The bounded queue between the SIP shards (producers) and one plugin thread
// (the consumer). A short mutex rather than a lock-free ring: the critical
// section is a deque push/swap, and producers never wait on the plugin itself,
// only on another producer's push. Beyond `limit` events a push is refused and
// the caller counts the drop.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

#include "adapters/host/plugin_events.h"

namespace adapters {

class EventQueue {
 public:
  explicit EventQueue(size_t limit) : limit_(limit) {}

  // False when full or closed (the event is dropped).
  bool push(PluginEvent&& event);
  // The oldest event, if any. One at a time: what the plugin has not taken yet
  // stays counted against the limit.
  bool pop(PluginEvent& out);
  // Everything queued so far, oldest first.
  std::deque<PluginEvent> takeAll();
  // Refuses every later push (plugin failed or stopping).
  void close();
  size_t size() const;

 private:
  const size_t limit_;
  mutable std::mutex mutex_;
  std::deque<PluginEvent> events_;
  bool closed_ = false;
};

}  // namespace adapters
