// SPDX-License-Identifier: Apache-2.0
// The ordered stages of one shard. run() starts a request at the first stage;
// resume() continues a paused one after the stage that paused it. The last
// stage must be terminal (never Continue); if every stage continues the
// request is answered 500 and a BUG is counted.
#pragma once

#include <memory>
#include <vector>

#include "proxy/routing/stage.h"

namespace proxy::routing {

class Pipeline {
 public:
  void add(std::unique_ptr<Stage> stage) { stages_.push_back(std::move(stage)); }
  void run(ContextPtr ctx);
  void resume(ContextPtr ctx);
  const std::vector<std::unique_ptr<Stage>>& stages() const { return stages_; }

 private:
  std::vector<std::unique_ptr<Stage>> stages_;
};

}  // namespace proxy::routing
