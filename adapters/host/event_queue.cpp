// SPDX-License-Identifier: Apache-2.0
#include "adapters/host/event_queue.h"

namespace adapters {

bool EventQueue::push(PluginEvent&& event) {
  std::lock_guard lock(mutex_);
  if (closed_ || events_.size() >= limit_) {
    return false;
  }
  events_.push_back(std::move(event));
  return true;
}

bool EventQueue::pop(PluginEvent& out) {
  std::lock_guard lock(mutex_);
  if (events_.empty()) {
    return false;
  }
  out = std::move(events_.front());
  events_.pop_front();
  return true;
}

std::deque<PluginEvent> EventQueue::takeAll() {
  std::deque<PluginEvent> out;
  std::lock_guard lock(mutex_);
  out.swap(events_);
  return out;
}

void EventQueue::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  events_.clear();
}

size_t EventQueue::size() const {
  std::lock_guard lock(mutex_);
  return events_.size();
}

}  // namespace adapters
