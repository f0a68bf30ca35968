// SPDX-License-Identifier: Apache-2.0
#include "proxy/transaction/layer_timer.h"

#include <algorithm>

namespace proxy::transaction {

LayerTimer::LayerTimer(uv_loop_t& loop, TransactionLayer& layer, Clock& clock)
    : layer_(layer), clock_(clock), timer_(loop, [this] { onFire(); }) {
  layer_.setWakeup([this](int64_t deadline_ms) { wakeAt(deadline_ms); });
  if (auto next = layer_.nextDeadlineMs()) {
    wakeAt(*next);
  }
}

LayerTimer::~LayerTimer() { layer_.setWakeup({}); }

void LayerTimer::wakeAt(int64_t deadline_ms) {
  if (timer_.active() && armed_deadline_ <= deadline_ms) {
    return;  // already waking up early enough
  }
  armed_deadline_ = deadline_ms;
  const int64_t delay = std::max<int64_t>(0, deadline_ms - clock_.monotonicMs());
  timer_.start(static_cast<uint64_t>(delay));
}

void LayerTimer::onFire() {
  layer_.runTimers();
  if (auto next = layer_.nextDeadlineMs()) {
    // uv's cached loop time can run a little ahead of our clock: re-arm for what remains.
    armed_deadline_ = *next;
    const int64_t delay = std::max<int64_t>(0, *next - clock_.monotonicMs());
    timer_.start(static_cast<uint64_t>(delay));
  }
}

}  // namespace proxy::transaction
