// SPDX-License-Identifier: Apache-2.0
// Availability on the OCS/Lync scale: one unsigned number per presence state,
// where a lower number means "more reachable". The canonical model keeps the
// raw number (so 6900 "urgent interruptions only" survives a round trip) and
// classifies it into a band when a renderer needs a coarse state. Pure values,
// usable from any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace core::presence {

using Availability = uint32_t;

// Representative values (OCS 2007 R2 SDK "User States"; MS-PRES §3.7.5.5).
inline constexpr Availability kAvailabilityUnknown = 0;
inline constexpr Availability kAvailabilityOnline = 3500;
inline constexpr Availability kAvailabilityIdle = 4500;
inline constexpr Availability kAvailabilityBusy = 6500;
inline constexpr Availability kAvailabilityUrgentOnly = 6900;
inline constexpr Availability kAvailabilityBusyIdle = 7500;
inline constexpr Availability kAvailabilityDoNotDisturb = 9500;
inline constexpr Availability kAvailabilityBeRightBack = 12500;
inline constexpr Availability kAvailabilityAway = 15500;
inline constexpr Availability kAvailabilityOffline = 18500;

// Bands as Communicator/sipe cut them (sipe-ocs2007.c LEGACY_AVAILIBILITY_*).
// The names follow the Graph `availability` vocabulary.
enum class AvailabilityBand : uint8_t {
  Unknown,        // 0 .. 2999 (unset)
  Available,      // 3000 .. 4499
  AvailableIdle,  // 4500 .. 5999 ("Inactive")
  Busy,           // 6000 .. 7499
  BusyIdle,       // 7500 .. 8999
  DoNotDisturb,   // 9000 .. 11999
  BeRightBack,    // 12000 .. 14999
  Away,           // 15000 .. 17999
  Offline,        // 18000 and above
};

constexpr AvailabilityBand bandOf(Availability a) {
  if (a < 3000) {
    return AvailabilityBand::Unknown;
  }
  if (a < 4500) {
    return AvailabilityBand::Available;
  }
  if (a < 6000) {
    return AvailabilityBand::AvailableIdle;
  }
  if (a < 7500) {
    return AvailabilityBand::Busy;
  }
  if (a < 9000) {
    return AvailabilityBand::BusyIdle;
  }
  if (a < 12000) {
    return AvailabilityBand::DoNotDisturb;
  }
  if (a < 15000) {
    return AvailabilityBand::BeRightBack;
  }
  if (a < 18000) {
    return AvailabilityBand::Away;
  }
  return AvailabilityBand::Offline;
}

// The number we publish for a band (3500, 4500, 6500, ...; Unknown -> 0).
Availability representativeOf(AvailabilityBand band);

// "Available", "AvailableIdle", ... "Offline", "PresenceUnknown" (Graph names).
std::string_view bandName(AvailabilityBand band);

constexpr bool isIdleBand(AvailabilityBand band) {
  return band == AvailabilityBand::AvailableIdle || band == AvailabilityBand::BusyIdle;
}

// PROTOCOLS.md reverse map: "user-input idle -> +1000 into the idle sub-range".
// Available -> 4500, Busy -> 7500; idle bands and everything else unchanged.
Availability withIdle(Availability a);

// The inverse of withIdle: AvailableIdle -> 3500, BusyIdle -> 6500.
Availability withoutIdle(Availability a);

// Sort key for "most available first" across endpoints (MS-PRES: the most
// active machine wins). An endpoint that has published no state (0) sorts after
// every known state, so it never hides a real one.
constexpr uint64_t reachabilityKey(Availability a) {
  return a == kAvailabilityUnknown ? UINT64_MAX : uint64_t{a};
}

}  // namespace core::presence
