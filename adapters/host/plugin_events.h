// SPDX-License-Identifier: Apache-2.0
// What the host queues to a plugin thread: owned copies of everything, since the
// producer (a SIP shard) and the plugin never share memory beyond the queue.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

namespace adapters {

struct PresenceEvent {
  std::string aor;
  uint32_t availability = 0;  // OCS scale
  std::string activity;
  std::string note;
  bool im_capable = false;
  uint64_t sequence = 0;
  int64_t changed_at_ms = 0;
};

struct MessageEvent {
  uint64_t id = 0;  // answered through AdapterHost::answer (encodes the shard)
  std::string from;
  std::string to;
  std::string content_type;
  std::string body;
  int64_t sent_at_ms = 0;
};

struct SendResultEvent {
  uint64_t request_id = 0;
  int32_t status = 0;
};

using PluginEvent = std::variant<PresenceEvent, MessageEvent, SendResultEvent>;

}  // namespace adapters
