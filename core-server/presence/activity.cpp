// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/activity.h"

namespace core::presence {

std::string_view genericToken(AvailabilityBand band) {
  switch (band) {
    case AvailabilityBand::Unknown:
      return "";
    case AvailabilityBand::Available:
      return kTokenAvailable;
    case AvailabilityBand::AvailableIdle:
      return kTokenIdle;
    case AvailabilityBand::Busy:
      return kTokenBusy;
    case AvailabilityBand::BusyIdle:
      return kTokenBusyIdle;
    case AvailabilityBand::DoNotDisturb:
      return kTokenDoNotDisturb;
    case AvailabilityBand::BeRightBack:
      return kTokenBeRightBack;
    case AvailabilityBand::Away:
      return kTokenAway;
    case AvailabilityBand::Offline:
      return kTokenOffline;
  }
  return "";
}

bool isGenericToken(std::string_view token, AvailabilityBand band) {
  if (token.empty()) {
    return true;
  }
  if (band == AvailabilityBand::Available && token == kTokenOnline) {
    return true;
  }
  return token == genericToken(band);
}

Activity normalizedActivity(Availability availability, Activity activity) {
  if (!activity.token.empty() && isGenericToken(activity.token, bandOf(availability))) {
    activity.token.clear();
  }
  if (activity.empty()) {
    return Activity{};  // a range without a token means nothing
  }
  return activity;
}

bool activityAppliesAt(const Activity& activity, Availability availability) {
  if (activity.min_availability != 0 && availability < activity.min_availability) {
    return false;
  }
  if (activity.max_availability != 0 && availability > activity.max_availability) {
    return false;
  }
  return true;
}

}  // namespace core::presence
