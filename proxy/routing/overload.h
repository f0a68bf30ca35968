// SPDX-License-Identifier: Apache-2.0
// Overload protection (DESIGN.md: "Overload answers 503 with Retry-After; nothing
// accepted is silently lost"): new work that needs a durable write or NOTIFYs
// (PUBLISH, SUBSCRIBE, SERVICE, REGISTER, a MESSAGE stored offline) is refused with
// 503 + Retry-After while the store's write queue or this shard's NOTIFY
// transactions awaiting an answer are over their configured limits. What was
// accepted before is never dropped: the limits only stop new work from queueing.
// Refusals are counted as overload.rejected.<reason> (store_queue, notify_pending).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace proxy::routing {
struct RequestContext;
}

namespace proxy::routing::overload {

struct Limits {
  uint64_t store_queue_max = 0;     // queued durable writes; 0 = no limit
  uint64_t notify_pending_max = 0;  // NOTIFYs awaiting their answer, per shard; 0 = no limit
  uint32_t retry_after_s = 5;
};

enum class Reason : uint8_t { None, StoreQueue, NotifyPending };

// The decision alone (tests): over a limit means at or above it.
Reason decide(const Limits& limits, uint64_t store_depth, uint64_t notify_pending);
// "store_queue", "notify_pending" ("" for None): the counters' suffix.
std::string_view reasonName(Reason reason);

// Process-wide, set once at start before any shard takes traffic: the limits and how
// to read the store's queue depth (thread-safe; unset: 0).
void configure(const Limits& limits, std::function<uint64_t()> store_depth);
const Limits& limits();

// This shard's NOTIFY transactions awaiting a final response (every shard is one
// thread: the count is the calling thread's). SipNotifier keeps it.
void notifyStarted();
void notifyEnded();
uint64_t notifyPending();

// What the limits say now, on this shard.
Reason current();
// When over a limit: answers 503 + Retry-After, counts it, and returns true.
bool rejectIfOverloaded(RequestContext& ctx);

}  // namespace proxy::routing::overload
