// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/aggregation.h"

#include <algorithm>
#include <tuple>
#include <vector>

namespace core::presence {
namespace {

using Live = std::vector<const EndpointPresence*>;

Live liveEndpoints(const PresentityState& state, int64_t now) {
  Live live;
  live.reserve(state.endpoints.size());
  for (const EndpointPresence& e : state.endpoints) {
    if (e.liveAt(now)) {  // A1
      live.push_back(&e);
    }
  }
  std::sort(live.begin(), live.end(), [](const EndpointPresence* a, const EndpointPresence* b) {
    return std::tie(a->source_id, a->published_at) < std::tie(b->source_id, b->published_at);
  });
  return live;
}

// A3: `live` is sorted by source id, so the first minimum is the tie-break winner.
const EndpointPresence* bestEndpoint(const Live& live) {
  const EndpointPresence* best = nullptr;
  for (const EndpointPresence* e : live) {
    if (best == nullptr) {
      best = e;
      continue;
    }
    const uint64_t ka = reachabilityKey(e->availability);
    const uint64_t kb = reachabilityKey(best->availability);
    if (ka < kb || (ka == kb && e->last_active > best->last_active)) {
      best = e;
    }
  }
  return best;
}

void mergeCapability(std::optional<bool>& into, const std::optional<bool>& value) {
  if (!value.has_value()) {
    return;
  }
  into = into.value_or(false) || *value;
}

// A10
void collectEndpointFacts(const PresentityState& state, const Live& live, Presence& out) {
  out.ms_categories = state.ms_categories;
  for (const EndpointPresence* e : live) {
    out.last_active = std::max(out.last_active, e->last_active);
    out.devices.push_back(e->device);
    mergeCapability(out.caps.im, e->device.caps.im);
    mergeCapability(out.caps.voice, e->device.caps.voice);
    mergeCapability(out.caps.video, e->device.caps.video);
    out.pidf_extensions.insert(out.pidf_extensions.end(), e->pidf_extensions.begin(),
                               e->pidf_extensions.end());
    out.ms_categories.insert(out.ms_categories.end(), e->ms_categories.begin(),
                             e->ms_categories.end());
  }
}

// The newest endpoint note of the given type that is in effect (A9).
const Note* newestEndpointNote(const Live& live, NoteType type, int64_t now) {
  const Note* found = nullptr;
  int64_t found_at = 0;
  for (const EndpointPresence* e : live) {
    if (!e->note || e->note->type != type || e->note->text.empty() || !e->note->activeAt(now)) {
      continue;
    }
    if (found == nullptr || e->published_at > found_at) {
      found = &*e->note;
      found_at = e->published_at;
    }
  }
  return found;
}

std::optional<Note> chooseNote(const PresentityState& state, const Live& live, int64_t now) {
  if (state.oof_note && !state.oof_note->text.empty() && state.oof_note->activeAt(now)) {
    return state.oof_note;
  }
  if (const Note* n = newestEndpointNote(live, NoteType::OutOfOffice, now)) {
    return *n;
  }
  if (state.personal_note && !state.personal_note->text.empty() &&
      state.personal_note->activeAt(now)) {
    return state.personal_note;
  }
  if (const Note* n = newestEndpointNote(live, NoteType::Personal, now)) {
    return *n;
  }
  return std::nullopt;
}

int calendarPriority(FreeBusy state) {
  switch (state) {
    case FreeBusy::OutOfOffice:
      return 4;
    case FreeBusy::Busy:
      return 3;
    case FreeBusy::Tentative:
      return 2;
    case FreeBusy::Free:
      return 1;
    case FreeBusy::Unknown:
      return 0;
  }
  return 0;
}

std::optional<CalendarState> chooseCalendar(const Live& live, int64_t now) {
  const CalendarState* found = nullptr;
  for (const EndpointPresence* e : live) {
    if (!e->calendar || !e->calendar->activeAt(now)) {
      continue;
    }
    if (found == nullptr || calendarPriority(e->calendar->state) > calendarPriority(found->state)) {
      found = &*e->calendar;
    }
  }
  return found ? std::optional<CalendarState>(*found) : std::nullopt;
}

// A5: the most restrictive phone state (highest availability), first by source id.
const StateValue* choosePhone(const Live& live) {
  const StateValue* found = nullptr;
  for (const EndpointPresence* e : live) {
    if (!e->phone || e->phone->availability == kAvailabilityUnknown) {
      continue;
    }
    if (found == nullptr || e->phone->availability > found->availability) {
      found = &*e->phone;
    }
  }
  return found;
}

bool userStateLive(const PresentityState& state, int64_t now) {
  return state.user_state && state.user_state->state.availability != kAvailabilityUnknown &&
         (state.user_state->expires_at == 0 || now < state.user_state->expires_at);
}

// A4
void applyUserState(const UserState& user, const EndpointPresence& best, Presence& out) {
  const StateValue& s = user.state;
  if (bandOf(s.availability) == AvailabilityBand::Offline || s.activity.token == kTokenInvisible) {
    out.availability = kAvailabilityOffline;
    out.appear_offline = true;
    out.source = AggregateSource::AppearOffline;
    return;
  }
  out.availability = s.availability;
  out.activity = s.activity;
  out.source = AggregateSource::UserState;
  const AvailabilityBand manual = bandOf(s.availability);
  const bool machine_idle = isIdleBand(bandOf(best.availability));
  if (machine_idle && (manual == AvailabilityBand::Available || manual == AvailabilityBand::Busy)) {
    out.availability = withIdle(s.availability);
  }
}

// A5, A6
void applyEndpointState(const EndpointPresence& best, const Live& live, Presence& out) {
  out.availability = best.availability;
  out.activity = best.activity;
  out.source = AggregateSource::Endpoint;

  const AvailabilityBand base = bandOf(out.availability);
  if (const StateValue* phone = choosePhone(live)) {
    if (base != AvailabilityBand::DoNotDisturb) {
      out.availability = phone->availability;
      out.activity = phone->activity;
      if (out.activity.empty()) {
        out.activity.token = std::string(kTokenOnThePhone);
      }
      out.source = AggregateSource::Phone;
    }
    return;
  }
  if (!out.calendar || out.calendar->state != FreeBusy::Busy) {
    return;
  }
  Activity meeting;
  meeting.token = std::string(kTokenInAMeeting);
  switch (base) {
    case AvailabilityBand::Unknown:
    case AvailabilityBand::Available:
      out.availability = kAvailabilityBusy;
      out.activity = meeting;
      out.source = AggregateSource::Calendar;
      break;
    case AvailabilityBand::AvailableIdle:
      out.availability = kAvailabilityBusyIdle;
      out.activity = meeting;
      out.source = AggregateSource::Calendar;
      break;
    case AvailabilityBand::Busy:
      if (normalizedActivity(out.availability, out.activity).empty()) {
        out.activity = meeting;
        out.source = AggregateSource::Calendar;
      }
      break;
    default:
      break;
  }
}

}  // namespace

Presence aggregate(const PresentityState& state, int64_t now) {
  Presence out;
  const Live live = liveEndpoints(state, now);
  out.note = chooseNote(state, live, now);

  if (live.empty()) {  // A2
    const bool seen = state.ever_seen || !state.endpoints.empty();
    out.availability = seen ? kAvailabilityOffline : kAvailabilityUnknown;
    out.source = seen ? AggregateSource::NoEndpoints : AggregateSource::NeverSeen;
    out.ms_categories = state.ms_categories;
    return out;
  }

  collectEndpointFacts(state, live, out);
  out.calendar = chooseCalendar(live, now);
  const EndpointPresence& best = *bestEndpoint(live);
  out.contact = best.device.contact;

  if (userStateLive(state, now)) {
    applyUserState(*state.user_state, best, out);
  } else {
    applyEndpointState(best, live, out);
  }
  if (out.appear_offline) {
    // Endpoint-bound extensions would betray a live endpoint; user-level ones stay.
    out.activity = Activity{};
    out.pidf_extensions.clear();
    out.ms_categories = state.ms_categories;
    return out;
  }
  // A8 before A7, so that an out-of-range token does not hide the OOF overlay.
  if (!activityAppliesAt(out.activity, out.availability)) {
    out.activity = Activity{};
  }
  out.activity = normalizedActivity(out.availability, std::move(out.activity));
  out.activity.min_availability = 0;  // the range has done its job; renderers never see it
  out.activity.max_availability = 0;
  if (out.calendar && out.calendar->state == FreeBusy::OutOfOffice && out.activity.empty()) {
    out.activity.token = std::string(kTokenOutOfOffice);  // A7
  }
  return out;
}

}  // namespace core::presence
