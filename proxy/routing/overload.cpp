// SPDX-License-Identifier: Apache-2.0
#include "proxy/routing/overload.h"

#include <string>

#include "proxy/base/counters.h"
#include "proxy/routing/request_context.h"
#include "proxy/routing/shard_router.h"

namespace proxy::routing::overload {

namespace {

// Written by configure() before the shard threads start; only read afterwards.
Limits g_limits;
std::function<uint64_t()> g_store_depth;
thread_local uint64_t t_notify_pending = 0;

}  // namespace

Reason decide(const Limits& limits, uint64_t store_depth, uint64_t notify_pending) {
  if (limits.store_queue_max != 0 && store_depth >= limits.store_queue_max) {
    return Reason::StoreQueue;
  }
  if (limits.notify_pending_max != 0 && notify_pending >= limits.notify_pending_max) {
    return Reason::NotifyPending;
  }
  return Reason::None;
}

std::string_view reasonName(Reason reason) {
  switch (reason) {
    case Reason::StoreQueue:
      return "store_queue";
    case Reason::NotifyPending:
      return "notify_pending";
    case Reason::None:
      break;
  }
  return "";
}

void configure(const Limits& limits, std::function<uint64_t()> store_depth) {
  g_limits = limits;
  g_store_depth = std::move(store_depth);
}

const Limits& limits() { return g_limits; }

void notifyStarted() { ++t_notify_pending; }

void notifyEnded() {
  if (t_notify_pending > 0) {
    --t_notify_pending;
  }
}

uint64_t notifyPending() { return t_notify_pending; }

Reason current() {
  if (g_limits.store_queue_max == 0 && g_limits.notify_pending_max == 0) {
    return Reason::None;  // the common case reads nothing
  }
  const uint64_t depth = g_limits.store_queue_max != 0 && g_store_depth ? g_store_depth() : 0;
  return decide(g_limits, depth, t_notify_pending);
}

bool rejectIfOverloaded(RequestContext& ctx) {
  const Reason reason = current();
  if (reason == Reason::None) {
    return false;
  }
  static auto store_queue = counters::get("overload.rejected.store_queue");
  static auto notify_pending = counters::get("overload.rejected.notify_pending");
  (reason == Reason::StoreQueue ? store_queue : notify_pending).add();
  ctx.router.reply(ctx, 503, "Service Unavailable",
                   {{"Retry-After", std::to_string(g_limits.retry_after_s)}});
  return true;
}

}  // namespace proxy::routing::overload
