// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/availability.h"

namespace core::presence {

Availability representativeOf(AvailabilityBand band) {
  switch (band) {
    case AvailabilityBand::Unknown:
      return kAvailabilityUnknown;
    case AvailabilityBand::Available:
      return kAvailabilityOnline;
    case AvailabilityBand::AvailableIdle:
      return kAvailabilityIdle;
    case AvailabilityBand::Busy:
      return kAvailabilityBusy;
    case AvailabilityBand::BusyIdle:
      return kAvailabilityBusyIdle;
    case AvailabilityBand::DoNotDisturb:
      return kAvailabilityDoNotDisturb;
    case AvailabilityBand::BeRightBack:
      return kAvailabilityBeRightBack;
    case AvailabilityBand::Away:
      return kAvailabilityAway;
    case AvailabilityBand::Offline:
      return kAvailabilityOffline;
  }
  return kAvailabilityUnknown;
}

std::string_view bandName(AvailabilityBand band) {
  switch (band) {
    case AvailabilityBand::Unknown:
      return "PresenceUnknown";
    case AvailabilityBand::Available:
      return "Available";
    case AvailabilityBand::AvailableIdle:
      return "AvailableIdle";
    case AvailabilityBand::Busy:
      return "Busy";
    case AvailabilityBand::BusyIdle:
      return "BusyIdle";
    case AvailabilityBand::DoNotDisturb:
      return "DoNotDisturb";
    case AvailabilityBand::BeRightBack:
      return "BeRightBack";
    case AvailabilityBand::Away:
      return "Away";
    case AvailabilityBand::Offline:
      return "Offline";
  }
  return "PresenceUnknown";
}

Availability withIdle(Availability a) {
  switch (bandOf(a)) {
    case AvailabilityBand::Available:
      return kAvailabilityIdle;
    case AvailabilityBand::Busy:
      return kAvailabilityBusyIdle;
    default:
      return a;
  }
}

Availability withoutIdle(Availability a) {
  switch (bandOf(a)) {
    case AvailabilityBand::AvailableIdle:
      return kAvailabilityOnline;
    case AvailabilityBand::BusyIdle:
      return kAvailabilityBusy;
    default:
      return a;
  }
}

}  // namespace core::presence
