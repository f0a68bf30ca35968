// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/presence_model.h"

namespace core::presence {

Presence watcherView(const Presence& presence) {
  if (!presence.appear_offline) {
    return presence;
  }
  Presence hidden;
  hidden.availability = kAvailabilityOffline;
  hidden.source = AggregateSource::AppearOffline;
  hidden.note = presence.note;
  hidden.ms_categories = presence.ms_categories;  // static cards stay visible, as for offline users
  hidden.sequence = presence.sequence;
  return hidden;
}

}  // namespace core::presence
