// SPDX-License-Identifier: Apache-2.0
// Canonical model <-> MS-PRES categories. Inbound, foldPublication() adds one
// stored publication of a Lync/OCS client to the presentity (manual states and
// notes at user level, machine/phone/calendar states and devices on the
// publishing endpoint), and endpointFromCategories() reads what a federated OCS
// server NOTIFYs about one of its users. Outbound, renderCategories() writes the
// application/msrtc-event-categories+xml a watcher in a given container sees.
// MAPPING.md has the tables. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core-server/presence/ms_categories.h"
#include "core-server/presence/presence_model.h"

namespace core::presence {

// Container ids = access levels (PROTOCOLS.md (b), sipe `containers[]`).
inline constexpr uint32_t kContainerPublic = 100;
inline constexpr uint32_t kContainerCompany = 200;
inline constexpr uint32_t kContainerTeam = 300;
inline constexpr uint32_t kContainerPersonal = 400;
inline constexpr uint32_t kContainerBlocked = 32000;

// Folds one current (not removed) publication into the model:
//  state userState                -> state.user_state (expires_at as given: the
//                                    caller turns a time-bounded publication's
//                                    expires into an absolute time)
//  state machineState             -> endpoint.availability / activity
//  state phoneState               -> endpoint.phone
//  state calendarState            -> endpoint.calendar
//  note (body type personal | OOF) -> state.personal_note / state.oof_note
//  device                         -> endpoint.device
//  anything else                  -> passthrough: endpoint.ms_categories when
//                                    expireType is endpoint, else state.ms_categories
// Publications whose removes() is true are the caller's to delete; they are ignored.
void foldPublication(const CategoryPublication& publication, PresentityState& state,
                     EndpointPresence& endpoint, int64_t user_state_expires_at = 0);

// What a federated server says about one of its users, as one source: its
// (aggregate) state, note, devices and the categories we pass through.
EndpointPresence endpointFromCategories(const CategoriesDocument& doc);

struct MsRenderOptions {
  uint32_t container = kContainerPublic;  // the watcher's access level
  int64_t publish_time = 0;               // publishTime of generated categories; 0 = omit
  uint32_t version = 1;  // version of generated categories (use Presence::sequence)
};

// What a watcher at `options.container` may see (MAPPING.md "Access levels"):
//  32000 blocked: state 18500 only.
//  100 public:    state (availability only), passthrough categories of container 100.
//  200 company:   + activity, lastActive, note (an empty note category when none).
//  300 team:      + meeting subject and location, devices.
//  400 personal:  as 300.
// `presence` should already be the watcher's view (watcherView()).
std::string renderCategories(const Presence& presence, std::string_view uri,
                             const MsRenderOptions& options);

// A stable 32-bit instance id for a device category, from its endpoint id (FNV-1a).
uint32_t deviceInstanceFor(std::string_view endpoint_id);

}  // namespace core::presence
