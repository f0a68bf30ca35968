// SPDX-License-Identifier: Apache-2.0
// Aggregation: folds everything a user's endpoints and manual choices say into the
// one Presence watchers see, in the spirit of the MS-PRES §3.7.5.5 aggregation
// script ("Aggregation of Presence States", OCS 2007 R2 SDK). Pure and
// deterministic: the order of PresentityState::endpoints never matters, and the
// caller passes "now", so tests drive time.
//
// The rules, applied in order (each one is a row in aggregation_test.cpp):
//  A1  Endpoints with expires_at <= now are ignored.
//  A2  No live endpoint: offline (18500) if the user was ever seen or has stale
//      endpoints, unknown (0) otherwise. Nothing else of the state is shown.
//  A3  The "best" endpoint is the most available one: lowest availability, an
//      endpoint without a state (0) last; ties go to the latest last_active, then
//      to the smaller source id. Its contact becomes Presence::contact.
//  A4  A live manual user state (userState) wins over every endpoint, phone and
//      calendar state. 18500 or the token "invisible" means "appear offline".
//      Idle still shows: a manual Available becomes 4500 and a manual Busy 7500
//      when the best endpoint is idle (AvailableIdle/BusyIdle band). Appearing
//      offline also drops endpoint-bound passthrough extensions.
//  A5  Otherwise the best endpoint's state is the base. A phone call on any live
//      endpoint (the most restrictive phoneState) replaces it unless the base is
//      Do Not Disturb: "on-the-phone" at 6500 beats idle, away and meetings.
//  A6  Otherwise a Busy calendar entry in effect raises Available to 6500 and
//      AvailableIdle to 7500 with "in-a-meeting" (and names a Busy base that has no
//      activity). Tentative and Free change nothing.
//  A7  An out-of-office calendar entry in effect sets the activity
//      "out-of-office" when no other activity is shown (after A4 or A5/A6); the
//      availability is left alone (PROTOCOLS.md map: "(avail) / OutOfOffice").
//  A8  An activity whose MS availability range excludes the result is dropped;
//      generic tokens ("busy" at 6500) are normalised to "" and the range itself
//      is cleared from the result.
//  A9  Note: an active OOF note (user-level, then endpoints) beats the user-level
//      personal note, which beats endpoint notes; among endpoints the newest
//      publication wins, then the smaller source id.
//  A10 last_active is the latest over live endpoints; devices are the live
//      endpoints' devices in source-id order; capabilities are their union (any
//      yes -> yes, else any no -> no, else unknown); passthrough extensions are
//      the user-level ones followed by the endpoints' in source-id order.
#pragma once

#include <cstdint>

#include "core-server/presence/presence_model.h"

namespace core::presence {

Presence aggregate(const PresentityState& state, int64_t now);

}  // namespace core::presence
