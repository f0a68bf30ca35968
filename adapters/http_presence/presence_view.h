// SPDX-License-Identifier: Apache-2.0
// How one user's presence looks on the HTTP API: the shape of the presence resource groupware
// already consumes (Graph-style availability/activity names, statusMessage, sequenceNumber),
// mapped from the canonical model's OCS availability scale (PROTOCOLS.md, normalisation map).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace adapters::http_presence {

struct PresenceState {
  std::string aor;
  uint32_t availability = 0;  // OCS scale; 0 = not known yet
  std::string activity;       // RPID/MS token
  std::string note;
  bool im_capable = false;
  uint64_t sequence = 0;
  int64_t changed_at_ms = 0;
};

// "Available", "AvailableIdle", "Busy", "BusyIdle", "DoNotDisturb", "BeRightBack", "Away",
// "Offline" or "PresenceUnknown".
std::string_view availabilityName(uint32_t availability);
// The Graph activity for a token ("on-the-phone" → "InACall"); derived from the availability
// when there is no token, passed through when the token is unknown.
std::string activityName(std::string_view token, uint32_t availability);
// "2024-05-01T12:00:00.123Z".
std::string isoTime(int64_t unix_ms);

nlohmann::json toJson(const PresenceState& p);
// One Server-Sent Event carrying `p` (id = sequence number).
std::string sseEvent(const PresenceState& p);

}  // namespace adapters::http_presence
