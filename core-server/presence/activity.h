// SPDX-License-Identifier: Apache-2.0
// The activity part of a presence state: an MS-PRES activity token ("on-the-phone",
// "in-a-meeting"...) plus optional custom text. Tokens we do not know (a foreign
// RPID activity such as "sleeping", a new Lync token) are kept verbatim so they
// can be passed on. An empty token means "just the availability band", which is
// how the model normalises generic tokens such as "busy" at 6500.
#pragma once

#include <string>
#include <string_view>

#include "core-server/presence/availability.h"

namespace core::presence {

// MS activity tokens (PROTOCOLS.md (b), sipe-status.c).
inline constexpr std::string_view kTokenAvailable = "available";
inline constexpr std::string_view kTokenOnline = "online";
inline constexpr std::string_view kTokenIdle = "idle";
inline constexpr std::string_view kTokenBusy = "busy";
inline constexpr std::string_view kTokenBusyIdle = "busyidle";
inline constexpr std::string_view kTokenDoNotDisturb = "do-not-disturb";
inline constexpr std::string_view kTokenBeRightBack = "be-right-back";
inline constexpr std::string_view kTokenAway = "away";
inline constexpr std::string_view kTokenOutToLunch = "out-to-lunch";
inline constexpr std::string_view kTokenInvisible = "invisible";
inline constexpr std::string_view kTokenOffline = "offline";
inline constexpr std::string_view kTokenOnThePhone = "on-the-phone";
inline constexpr std::string_view kTokenInAConference = "in-a-conference";
inline constexpr std::string_view kTokenInAMeeting = "in-a-meeting";
inline constexpr std::string_view kTokenOutOfOffice = "out-of-office";
inline constexpr std::string_view kTokenUrgentInterruptionsOnly = "urgent-interruptions-only";
inline constexpr std::string_view kTokenInPresentation = "in-presentation";

struct Activity {
  std::string token;        // "" = the band's generic state
  std::string custom;       // free text shown instead of the token (MS <custom>, RPID <other>)
  std::string custom_lang;  // xml:lang of the custom text, "" if none
  // MS-PRES activity range: the token only applies while the aggregated
  // availability lies in [min, max]. 0 = unbounded on that side.
  Availability min_availability = 0;
  Availability max_availability = 0;

  bool empty() const { return token.empty() && custom.empty(); }
  bool operator==(const Activity&) const = default;
};

// The token that merely names a band ("busy" for Busy...); "" for Unknown.
std::string_view genericToken(AvailabilityBand band);

// True if `token` says nothing beyond the band (e.g. "online" or "available" at 3500).
bool isGenericToken(std::string_view token, AvailabilityBand band);

// Clears a generic token so that equal states compare equal whatever dialect
// they came from. Custom text and unknown tokens are kept.
Activity normalizedActivity(Availability availability, Activity activity);

// Whether the activity's MS-PRES availability range admits `availability`.
bool activityAppliesAt(const Activity& activity, Availability availability);

}  // namespace core::presence
