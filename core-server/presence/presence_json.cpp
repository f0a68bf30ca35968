// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/presence_json.h"

#include <array>
#include <nlohmann/json.hpp>
#include <utility>

namespace core::presence {
namespace {

// MS token <-> Graph activity for the activities that are more than their band.
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kTokenActivities = {{
    {kTokenOnThePhone, "InACall"},
    {kTokenInAConference, "InAConferenceCall"},
    {kTokenInAMeeting, "InAMeeting"},
    {kTokenUrgentInterruptionsOnly, "UrgentInterruptionsOnly"},
    {kTokenInPresentation, "Presenting"},
    {kTokenOutOfOffice, "OutOfOffice"},
}};

std::string_view bandActivity(AvailabilityBand band) {
  switch (band) {
    case AvailabilityBand::Available:
      return "Available";
    case AvailabilityBand::AvailableIdle:
      return "Inactive";
    case AvailabilityBand::Busy:
    case AvailabilityBand::BusyIdle:
      return "Busy";
    case AvailabilityBand::DoNotDisturb:
      return "DoNotDisturb";
    case AvailabilityBand::BeRightBack:
      return "BeRightBack";
    case AvailabilityBand::Away:
      return "Away";
    case AvailabilityBand::Offline:
      return "Offline";
    case AvailabilityBand::Unknown:
      return "PresenceUnknown";
  }
  return "PresenceUnknown";
}

}  // namespace

std::string_view graphAvailability(const Presence& p) {
  if (p.appear_offline) {
    return "Offline";
  }
  if (p.activity.token == kTokenUrgentInterruptionsOnly && p.band() != AvailabilityBand::Offline &&
      p.band() != AvailabilityBand::Unknown) {
    return "DoNotDisturb";  // PROTOCOLS.md: 69xx shows as DoNotDisturb in Graph
  }
  return bandName(p.band());
}

std::string_view graphActivity(const Presence& p) {
  const AvailabilityBand band = p.appear_offline ? AvailabilityBand::Offline : p.band();
  if (band == AvailabilityBand::Offline || band == AvailabilityBand::Unknown) {
    return bandActivity(band);
  }
  for (const auto& [token, activity] : kTokenActivities) {
    if (p.activity.token == token) {
      return activity;
    }
  }
  return bandActivity(band);
}

std::string renderPresenceJson(const Presence& p) {
  nlohmann::json j;
  j["availability"] = graphAvailability(p);
  j["activity"] = graphActivity(p);
  j["statusMessage"] = p.note ? p.note->text : std::string();
  j["sequence"] = p.sequence;
  // Invalid UTF-8 from a client must not make the adapter feed unparsable.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<StateValue> stateFromGraph(std::string_view availability, std::string_view activity) {
  std::optional<AvailabilityBand> band;
  for (AvailabilityBand b :
       {AvailabilityBand::Unknown, AvailabilityBand::Available, AvailabilityBand::AvailableIdle,
        AvailabilityBand::Busy, AvailabilityBand::BusyIdle, AvailabilityBand::DoNotDisturb,
        AvailabilityBand::BeRightBack, AvailabilityBand::Away, AvailabilityBand::Offline}) {
    if (bandName(b) == availability) {
      band = b;
    }
  }
  if (!band) {
    return std::nullopt;
  }
  StateValue s;
  s.availability = representativeOf(*band);
  for (const auto& [token, name] : kTokenActivities) {
    if (activity == name) {
      s.activity.token = std::string(token);
    }
  }
  if (s.activity.token == kTokenUrgentInterruptionsOnly) {
    s.availability = kAvailabilityUrgentOnly;  // 69xx lives in the Busy band
  }
  return s;
}

}  // namespace core::presence
