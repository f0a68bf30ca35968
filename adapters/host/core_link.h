// SPDX-License-Identifier: Apache-2.0
// How the adapter host reaches the SIP core: confabd fills this in from its
// shard set. Every function is called from plugin threads except where said;
// the services are looked up and used only on their own shard's thread (inside
// a posted task), never across threads.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace core::im {
class ImService;
}
namespace core::presence {
class PresenceService;
}

namespace adapters {

struct CoreLink {
  unsigned shards = 1;
  // Runs `task` on shard `shard`'s thread (thread-safe). Must outlive the host's plugins.
  std::function<void(unsigned shard, std::function<void()> task)> post_to_shard;
  // On shard `shard`'s thread: its services, or nullptr (IM off, shutting down).
  std::function<core::im::ImService*(unsigned shard)> im_service;
  std::function<core::presence::PresenceService*(unsigned shard)> presence;
  std::vector<std::string> domains;  // lowercase; the first is the default
};

}  // namespace adapters
