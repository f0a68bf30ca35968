// SPDX-License-Identifier: Apache-2.0
// Drives a TransactionLayer's timers from one uv timer on the shard's loop: it
// sleeps until the layer's earliest deadline, calls runTimers() and re-arms.
// The layer tells it (setWakeup) when an earlier deadline appears. Created and
// destroyed on the shard thread, after and before the layer respectively.
#pragma once

#include <uv.h>

#include <cstdint>

#include "proxy/base/clock.h"
#include "proxy/transaction/transaction_layer.h"
#include "proxy/uv/timer.h"

namespace proxy::transaction {

class LayerTimer {
 public:
  // `clock` must be the clock the layer was built with.
  LayerTimer(uv_loop_t& loop, TransactionLayer& layer, Clock& clock);
  ~LayerTimer();
  LayerTimer(const LayerTimer&) = delete;
  LayerTimer& operator=(const LayerTimer&) = delete;

 private:
  void wakeAt(int64_t deadline_ms);
  void onFire();

  TransactionLayer& layer_;
  Clock& clock_;
  uv::Timer timer_;
  int64_t armed_deadline_ = 0;
};

}  // namespace proxy::transaction
