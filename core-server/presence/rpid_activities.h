// SPDX-License-Identifier: Apache-2.0
// RPID activity tokens (RFC 4480 §3.2) <-> OCS states, token by token: the
// vocabulary half of the PIDF mapping (pidf_mapping.h assembles documents from
// it). Both directions follow MAPPING.md §2 and §3. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core-server/presence/presence_model.h"

namespace core::presence {

// True for the activity names RFC 4480 §3.2 defines (including "unknown").
bool isRpidActivity(std::string_view token);

// Inbound: the availability and canonical token one RPID activity stands for,
// e.g. "meeting" -> {6500, "in-a-meeting"}, "busy" -> {6500, ""}. Unmapped tokens
// give {3500, token}: the presentity is open and the token is kept verbatim.
StateValue stateForRpidToken(std::string_view rpid_token);

// Outbound: how a canonical state reads in RPID.
struct RpidRendering {
  std::vector<std::string> tokens;  // activity elements, in order
  std::string note;                 // description for <rpid:note> in <activities>, or ""
  bool token_mapped = true;         // false: RPID has no word for the token
};

// Offline -> no activities; Unknown -> <unknown/> alone; otherwise the token's
// rendering, or the band's when the token is empty, generic or unmapped.
RpidRendering rpidForState(Availability availability, std::string_view token);

}  // namespace core::presence
