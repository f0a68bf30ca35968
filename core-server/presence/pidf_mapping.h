// SPDX-License-Identifier: Apache-2.0
// Canonical model <-> PIDF/RPID, following the normalisation map of PROTOCOLS.md
// (d); the final table, with every deviation explained, is MAPPING.md in this
// folder. PIDF -> canonical yields what one PUBLISH says (an EndpointPresence);
// canonical -> PIDF renders the aggregated Presence for a watcher. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core-server/presence/pidf.h"
#include "core-server/presence/presence_model.h"

namespace core::presence {

// Reads one PIDF publication. Sets dialect, availability, activity, note,
// last_active, device and pidf_extensions; the caller sets source_id,
// published_at and expires_at (it knows the ETag and the Expires).
EndpointPresence endpointFromPidf(const PidfDocument& doc);

struct PidfRenderOptions {
  std::string tuple_id = "t1";  // xs:ID values: stable, so unchanged state renders unchanged
  std::string person_id = "p1";
  int64_t timestamp = 0;      // <timestamp> of the tuple; 0 = omit
  bool ocs_extension = true;  // add <ocs:state> so our own PIDF maps back losslessly
  bool devices = true;        // one <dm:device> per live endpoint
  bool passthrough = true;    // re-emit unknown extensions from PIDF publishers
};

// `presence` should already be the watcher's view (watcherView()).
PidfDocument pidfFromPresence(const Presence& presence, std::string_view entity,
                              const PidfRenderOptions& options = {});

// writePidf(pidfFromPresence(...)): the application/pidf+xml body for a NOTIFY.
std::string renderPidf(const Presence& presence, std::string_view entity,
                       const PidfRenderOptions& options = {});

}  // namespace core::presence
