// SPDX-License-Identifier: Apache-2.0
// The canonical presence model every dialect is translated into and rendered
// out of (DESIGN.md "The canonical presence model"). EndpointPresence is what one
// source (a PUBLISH ETag, an MS endpoint's epid) says; PresentityState is everything
// known about one user; Presence is the aggregated view aggregate() computes from
// it. Plain values owning their strings: they live on the shard that owns the AOR
// and are copied or moved, never shared.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core-server/presence/activity.h"
#include "core-server/presence/availability.h"

namespace core::presence {

// Timestamps in this model are unix seconds; 0 means "not set / open-ended".

enum class NoteType : uint8_t { Personal, OutOfOffice };

struct Note {
  std::string text;
  std::string lang;  // xml:lang, "" if none
  NoteType type = NoteType::Personal;
  int64_t start = 0;  // MS note startTime/endTime (OOF window)
  int64_t end = 0;

  bool activeAt(int64_t now) const {
    return (start == 0 || start <= now) && (end == 0 || now < end);
  }
  bool operator==(const Note&) const = default;
};

struct Capabilities {
  std::optional<bool> im;  // nullopt = not said
  std::optional<bool> voice;
  std::optional<bool> video;

  bool operator==(const Capabilities&) const = default;
};

struct DeviceInfo {
  std::string endpoint_id;  // MS device endpointId / epid, RFC 4479 deviceID, +sip.instance
  std::string device_name;  // MS machineName, or a dm:device note
  std::string contact;      // PIDF tuple contact / MS capabilities uri, "" if unknown
  std::string timezone;     // MS device timezone ("00:00:00+01:00"), passed through
  Capabilities caps;
  std::vector<std::string> pidf_extensions;  // unknown children of <dm:device>, raw XML

  bool operator==(const DeviceInfo&) const = default;
};

enum class FreeBusy : uint8_t { Unknown, Free, Tentative, Busy, OutOfOffice };

struct CalendarState {
  FreeBusy state = FreeBusy::Unknown;
  std::string meeting_subject;
  std::string meeting_location;
  int64_t start = 0;
  int64_t end = 0;

  bool activeAt(int64_t now) const {
    return (start == 0 || start <= now) && (end == 0 || now < end);
  }
  bool operator==(const CalendarState&) const = default;
};

// An availability with its activity: one MS state instance (phoneState...).
struct StateValue {
  Availability availability = kAvailabilityUnknown;
  Activity activity;

  bool operator==(const StateValue&) const = default;
};

enum class Dialect : uint8_t { Unknown, Pidf, MsCategories, Api };

// Where an unknown PIDF extension element sat, so it is rendered back there.
enum class PidfPlace : uint8_t { Presence, Tuple, Status, Person };

struct PidfFragment {
  PidfPlace place = PidfPlace::Presence;
  std::string xml;  // self-contained: every namespace it uses is declared inside

  bool operator==(const PidfFragment&) const = default;
};

// An MS category instance we pass through without modelling it (contactCard,
// calendarData, userProperties, unknown categories). Rendered only to watchers
// whose container equals `container`, as MS containers are ACL buckets.
struct MsCategoryInstance {
  std::string name;
  uint32_t instance = 0;
  uint32_t container = 0;
  uint32_t version = 0;
  int64_t publish_time = 0;
  std::string xml;  // the category's payload element, self-contained; "" = cleared

  bool operator==(const MsCategoryInstance&) const = default;
};

// What one presence source says. Availability 0 = it has not said anything yet.
struct EndpointPresence {
  std::string source_id;  // epid, or the PUBLISH entity-tag (RFC 3903)
  Dialect dialect = Dialect::Unknown;
  int64_t expires_at = 0;    // the source is ignored once now >= expires_at (0 = never)
  int64_t published_at = 0;  // when we last accepted a publication from it
  int64_t last_active = 0;   // last user input (RPID last-input, MS lastActive)

  Availability availability = kAvailabilityUnknown;  // MS machineState / PIDF state
  Activity activity;
  std::optional<StateValue> phone;        // MS phoneState, e.g. 6500 "on-the-phone"
  std::optional<CalendarState> calendar;  // MS calendarState
  std::optional<Note> note;
  DeviceInfo device;

  std::vector<PidfFragment> pidf_extensions;
  std::vector<MsCategoryInstance> ms_categories;

  bool liveAt(int64_t now) const { return expires_at == 0 || now < expires_at; }
  bool operator==(const EndpointPresence&) const = default;
};

// A state the user chose by hand (MS userState, manual="true"; an API call).
struct UserState {
  StateValue state;
  int64_t expires_at = 0;  // MS time-bounded user states (e.g. DND for one hour); 0 = static

  bool operator==(const UserState&) const = default;
};

// Everything known about one presentity; the input of aggregate().
struct PresentityState {
  std::optional<UserState> user_state;
  std::optional<Note> personal_note;  // user-level notes (MS note category, API)
  std::optional<Note> oof_note;
  std::vector<EndpointPresence> endpoints;
  std::vector<MsCategoryInstance> ms_categories;  // user-level passthrough (contactCard...)
  bool ever_seen = false;  // false: never signed in, so "unknown" rather than "offline"
};

// Which rule of aggregate() decided the availability (for logs and tests).
enum class AggregateSource : uint8_t {
  NeverSeen,      // no endpoint ever: unknown (0)
  NoEndpoints,    // nothing live: offline (18500)
  AppearOffline,  // the user hides: offline towards watchers
  UserState,      // a manual state won
  Endpoint,       // the most available endpoint's state
  Phone,          // raised by a phone call
  Calendar,       // raised by a meeting
};

// The aggregated presence of one user, as rendered to watchers.
struct Presence {
  Availability availability = kAvailabilityUnknown;
  Activity activity;
  std::optional<Note> note;
  std::optional<CalendarState> calendar;  // the calendar entry in effect, if any
  int64_t last_active = 0;
  bool appear_offline = false;  // the owner sees "appear offline"; watchers see offline
  AggregateSource source = AggregateSource::NeverSeen;

  std::vector<DeviceInfo> devices;  // live endpoints' devices, ordered by source id
  Capabilities caps;                // union over devices
  std::string contact;              // contact of the endpoint that decided the state

  std::vector<PidfFragment> pidf_extensions;
  std::vector<MsCategoryInstance> ms_categories;
  uint64_t sequence = 0;  // set by the presence service: bumps on every change

  AvailabilityBand band() const { return bandOf(availability); }
  bool idle() const { return isIdleBand(band()); }
  bool operator==(const Presence&) const = default;
};

// What a watcher may see: "appear offline" becomes plain offline with no
// devices, activity, calendar or extensions. The note stays (as in Lync, a note is
// visible while offline). Other presences are returned unchanged.
Presence watcherView(const Presence& presence);

}  // namespace core::presence
