// SPDX-License-Identifier: Apache-2.0
// JSON rendering of the canonical presence for adapters (HTTP presence export,
// web click-to-chat), in the vocabulary of the Graph column of PROTOCOLS.md's
// normalisation map: {"availability": "Busy", "activity": "InAMeeting",
// "statusMessage": "...", "sequence": 7}. nlohmann-json stays inside the .cpp so
// adapters only see strings.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core-server/presence/presence_model.h"

namespace core::presence {

// "Available", "AvailableIdle", "Busy", "BusyIdle", "DoNotDisturb", "BeRightBack",
// "Away", "Offline" or "PresenceUnknown".
std::string_view graphAvailability(const Presence& presence);

// "Available", "Inactive", "Busy", "InACall", "InAConferenceCall", "InAMeeting",
// "UrgentInterruptionsOnly", "DoNotDisturb", "Presenting", "BeRightBack", "Away",
// "OutOfOffice", "Offline" or "PresenceUnknown".
std::string_view graphActivity(const Presence& presence);

// One compact JSON object; `presence` should already be the watcher's view.
std::string renderPresenceJson(const Presence& presence);

// The reverse, for adapters that set presence: the Graph pair as a canonical
// state (e.g. Busy/InAMeeting -> 6500 "in-a-meeting"). nullopt when
// `availability` is not one of the names above.
std::optional<StateValue> stateFromGraph(std::string_view availability, std::string_view activity);

}  // namespace core::presence
