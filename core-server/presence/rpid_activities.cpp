// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/rpid_activities.h"

#include <algorithm>
#include <array>
#include <optional>

namespace core::presence {
namespace {

constexpr std::array<std::string_view, 25> kRpidActivities = {
    "appointment",  "away",        "breakfast",         "busy",     "dinner",
    "holiday",      "in-transit",  "looking-for-work",  "meal",     "meeting",
    "on-the-phone", "performance", "permanent-absence", "playing",  "presentation",
    "shopping",     "sleeping",    "spectator",         "steering", "travel",
    "tv",           "unknown",     "vacation",          "working",  "worship"};

// Descriptions for <rpid:activities><rpid:note> where RPID has no token for an MS
// state (PROTOCOLS.md: "busy (+ note ...)"). They describe the activity, so they
// never replace the user's own note.
constexpr std::string_view kNoteDoNotDisturb = "Do not disturb";
constexpr std::string_view kNoteUrgentOnly = "Urgent interruptions only";
constexpr std::string_view kNotePresenting = "Presenting";
constexpr std::string_view kNoteBeRightBack = "Be right back";
constexpr std::string_view kNoteConference = "In a conference call";

RpidRendering rendering(std::string_view token, std::string_view note = "") {
  return RpidRendering{{std::string(token)}, std::string(note), true};
}

// The band's rendering when the token adds nothing.
RpidRendering forBand(AvailabilityBand band) {
  switch (band) {
    case AvailabilityBand::Busy:
    case AvailabilityBand::BusyIdle:
      return rendering("busy");
    case AvailabilityBand::DoNotDisturb:
      return rendering("busy", kNoteDoNotDisturb);
    case AvailabilityBand::BeRightBack:
      return rendering("away", kNoteBeRightBack);
    case AvailabilityBand::Away:
      return rendering("away");
    default:  // Available, AvailableIdle (idle goes to <user-input>)
      return {};
  }
}

std::optional<RpidRendering> forToken(std::string_view token) {
  if (token == kTokenOnThePhone) {
    return rendering("on-the-phone");
  }
  if (token == kTokenInAConference) {
    return rendering("on-the-phone", kNoteConference);
  }
  if (token == kTokenInAMeeting) {
    return rendering("meeting");
  }
  if (token == kTokenUrgentInterruptionsOnly) {
    return rendering("busy", kNoteUrgentOnly);
  }
  if (token == kTokenDoNotDisturb) {
    return rendering("busy", kNoteDoNotDisturb);
  }
  if (token == kTokenInPresentation) {
    return rendering("busy", kNotePresenting);
  }
  if (token == kTokenBeRightBack) {
    return rendering("away", kNoteBeRightBack);
  }
  if (token == kTokenOutToLunch) {
    return rendering("meal");  // RFC 4480 has no "lunch"; "meal" is the token
  }
  if (token == kTokenOutOfOffice) {
    return rendering("vacation");
  }
  if (token == kTokenBusy || token == kTokenBusyIdle) {
    return rendering("busy");
  }
  if (token == kTokenAway) {
    return rendering("away");
  }
  if (isRpidActivity(token) && token != "unknown") {
    return rendering(token);  // a kept RPID token goes back as itself
  }
  return std::nullopt;
}

StateValue state(Availability a, std::string_view token) {
  StateValue s;
  s.availability = a;
  s.activity.token = std::string(token);
  return s;
}

}  // namespace

bool isRpidActivity(std::string_view token) {
  return std::find(kRpidActivities.begin(), kRpidActivities.end(), token) != kRpidActivities.end();
}

StateValue stateForRpidToken(std::string_view t) {
  if (t == "busy") {
    return state(kAvailabilityBusy, "");
  }
  if (t == "on-the-phone") {
    return state(kAvailabilityBusy, kTokenOnThePhone);
  }
  if (t == "meeting" || t == "appointment") {
    return state(kAvailabilityBusy, kTokenInAMeeting);
  }
  if (t == "performance" || t == "presentation") {
    return state(kAvailabilityBusy, kTokenInPresentation);
  }
  if (t == "dnd" || t == "do-not-disturb") {  // non-standard, but common (PROTOCOLS.md)
    return state(kAvailabilityDoNotDisturb, "");
  }
  if (t == "away") {
    return state(kAvailabilityAway, "");
  }
  if (t == "lunch" || t == "meal" || t == "breakfast" || t == "dinner") {
    return state(kAvailabilityAway, kTokenOutToLunch);
  }
  if (t == "vacation" || t == "holiday") {
    return state(kAvailabilityAway, kTokenOutOfOffice);
  }
  if (t == "sleeping" || t == "travel" || t == "steering" || t == "in-transit" ||
      t == "permanent-absence") {
    return state(kAvailabilityAway, t);
  }
  return state(kAvailabilityOnline, t);
}

RpidRendering rpidForState(Availability availability, std::string_view token) {
  const AvailabilityBand band = bandOf(availability);
  if (band == AvailabilityBand::Offline) {
    return {};
  }
  if (band == AvailabilityBand::Unknown) {
    return rendering("unknown");  // RFC 4480 §3.2: <unknown/> stands alone
  }
  if (token.empty() || isGenericToken(token, band)) {
    return forBand(band);
  }
  if (auto r = forToken(token)) {
    return std::move(*r);
  }
  RpidRendering r = forBand(band);
  r.token_mapped = false;
  return r;
}

}  // namespace core::presence
