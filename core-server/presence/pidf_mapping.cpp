// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/pidf_mapping.h"

#include <algorithm>

#include "core-server/presence/rpid_activities.h"
#include "core-server/presence/timestamp.h"

namespace core::presence {
namespace {

// Device ids in PIDF are URNs (RFC 4479 §6.3); MS endpoint ids are not.
constexpr std::string_view kEpidUrnPrefix = "urn:x-confab:epid:";

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// ---- PIDF -> canonical -------------------------------------------------------

struct Chosen {
  const RpidActivities* activities = nullptr;
  const RpidUserInput* user_input = nullptr;
  const std::vector<PidfNote>* notes = nullptr;
  std::optional<bool> basic_open;
};

// RFC 4479 puts activities and user-input in <dm:person>; pre-4479 clients put
// them in the tuple. The person wins; otherwise the first tuple that has them.
Chosen choose(const PidfDocument& doc) {
  Chosen c;
  if (!doc.persons.empty()) {
    const PidfPerson& p = doc.persons.front();
    c.activities = p.activities ? &*p.activities : nullptr;
    c.user_input = p.user_input ? &*p.user_input : nullptr;
    c.notes = p.notes.empty() ? nullptr : &p.notes;
  }
  for (const PidfTuple& t : doc.tuples) {
    if (c.activities == nullptr && t.activities) {
      c.activities = &*t.activities;
    }
    if (c.user_input == nullptr && t.user_input) {
      c.user_input = &*t.user_input;
    }
    if (c.notes == nullptr && !t.notes.empty()) {
      c.notes = &t.notes;
    }
    if (t.basic_open) {  // any open service makes the presentity open
      c.basic_open = c.basic_open.value_or(false) || *t.basic_open;
    }
  }
  for (const PidfDevice& d : doc.devices) {
    if (c.user_input == nullptr && d.user_input) {
      c.user_input = &*d.user_input;
    }
  }
  if (c.notes == nullptr && !doc.notes.empty()) {
    c.notes = &doc.notes;
  }
  return c;
}

// The strongest activity wins: highest availability, then a specific token over a
// generic one, then document order.
StateValue stateFromActivities(const RpidActivities& a) {
  StateValue best{kAvailabilityOnline, {}};
  bool have = false;
  for (const std::string& token : a.tokens) {
    if (token == "unknown") {
      continue;
    }
    const StateValue s = stateForRpidToken(token);
    const bool stronger = s.availability > best.availability ||
                          (s.availability == best.availability && !s.activity.token.empty() &&
                           best.activity.token.empty());
    if (!have || stronger) {
      best = s;
      have = true;
    }
  }
  return best;
}

bool consistentWithBasic(Availability a, std::optional<bool> basic_open) {
  if (!basic_open) {
    return true;
  }
  const AvailabilityBand band = bandOf(a);
  const bool closed = band == AvailabilityBand::Offline || band == AvailabilityBand::Unknown;
  return closed == !*basic_open;
}

std::string endpointIdFromDeviceId(std::string_view device_id) {
  if (device_id.substr(0, kEpidUrnPrefix.size()) == kEpidUrnPrefix) {
    device_id.remove_prefix(kEpidUrnPrefix.size());
  }
  return std::string(device_id);
}

void readDevice(const PidfDocument& doc, EndpointPresence& e) {
  std::string_view linked;
  for (const PidfTuple& t : doc.tuples) {
    if (e.device.contact.empty() && !t.contact.empty() && t.basic_open.value_or(false)) {
      e.device.contact = t.contact;
    }
    if (linked.empty()) {
      linked = t.device_id;
    }
  }
  if (e.device.contact.empty() && !doc.tuples.empty()) {
    e.device.contact = doc.tuples.front().contact;
  }
  const PidfDevice* device = nullptr;
  for (const PidfDevice& d : doc.devices) {
    if (device == nullptr || (!linked.empty() && d.device_id == linked)) {
      device = &d;
    }
  }
  if (device != nullptr) {
    e.device.endpoint_id = endpointIdFromDeviceId(device->device_id);
    if (!device->notes.empty()) {
      e.device.device_name = device->notes.front().text;
    }
    e.device.pidf_extensions = device->extensions;
  } else if (!linked.empty()) {
    e.device.endpoint_id = endpointIdFromDeviceId(linked);
  }
}

void readExtensions(const PidfDocument& doc, EndpointPresence& e) {
  for (const std::string& x : doc.extensions) {
    e.pidf_extensions.push_back({PidfPlace::Presence, x});
  }
  for (const PidfTuple& t : doc.tuples) {
    for (const std::string& x : t.status_extensions) {
      e.pidf_extensions.push_back({PidfPlace::Status, x});
    }
    for (const std::string& x : t.extensions) {
      e.pidf_extensions.push_back({PidfPlace::Tuple, x});
    }
  }
  for (const PidfPerson& p : doc.persons) {
    for (const std::string& x : p.extensions) {
      e.pidf_extensions.push_back({PidfPlace::Person, x});
    }
  }
}

// ---- canonical -> PIDF -------------------------------------------------------

std::optional<RpidActivities> activitiesFor(const Presence& p) {
  const AvailabilityBand band = p.band();
  RpidRendering r = rpidForState(p.availability, p.activity.token);
  RpidActivities a;
  a.tokens = std::move(r.tokens);
  if (band == AvailabilityBand::Offline || band == AvailabilityBand::Unknown) {
    return a.tokens.empty() ? std::nullopt : std::optional<RpidActivities>(std::move(a));
  }
  if (!r.note.empty()) {
    a.notes.push_back(PidfNote{std::move(r.note), "en"});
  }
  if (!p.activity.custom.empty()) {
    a.other = p.activity.custom;
  } else if (!r.token_mapped) {
    a.other = p.activity.token;  // RPID has no word for it: pass it on as free text
  }
  // PROTOCOLS.md: an out-of-office note shows as <vacation/>.
  if (p.note && p.note->type == NoteType::OutOfOffice && !contains(a.tokens, "vacation")) {
    a.tokens.emplace_back("vacation");
  }
  if (a.tokens.empty() && a.other.empty() && a.notes.empty()) {
    return std::nullopt;
  }
  return a;
}

std::string deviceIdFor(std::string_view endpoint_id) {
  if (endpoint_id.substr(0, 4) == "urn:") {
    return std::string(endpoint_id);
  }
  return std::string(kEpidUrnPrefix) + std::string(endpoint_id);
}

}  // namespace

EndpointPresence endpointFromPidf(const PidfDocument& doc) {
  EndpointPresence e;
  e.dialect = Dialect::Pidf;
  const Chosen c = choose(doc);
  const PidfPerson* person = doc.persons.empty() ? nullptr : &doc.persons.front();
  const ConfabOcsState* ocs = person && person->ocs ? &*person->ocs : nullptr;
  if (ocs != nullptr && !consistentWithBasic(ocs->availability, c.basic_open)) {
    ocs = nullptr;  // a stale or copied hint must not contradict the document
  }

  const bool only_unknown = c.activities != nullptr && !c.activities->tokens.empty() &&
                            std::all_of(c.activities->tokens.begin(), c.activities->tokens.end(),
                                        [](const std::string& t) { return t == "unknown"; });
  if (ocs != nullptr) {
    e.availability = ocs->availability;
    e.activity.token = ocs->token;
  } else if (c.basic_open == false) {
    e.availability = only_unknown ? kAvailabilityUnknown : kAvailabilityOffline;
  } else if (!c.basic_open && c.activities == nullptr) {
    e.availability = kAvailabilityUnknown;  // a document that says nothing
  } else {
    const StateValue s =
        c.activities ? stateFromActivities(*c.activities) : StateValue{kAvailabilityOnline, {}};
    e.availability = s.availability;
    e.activity = s.activity;
  }
  if (c.activities != nullptr && !c.activities->other.empty() &&
      (ocs == nullptr || c.activities->other != ocs->token)) {
    e.activity.custom = c.activities->other;
  }
  if (c.user_input != nullptr) {
    if (c.user_input->idle && ocs == nullptr) {
      e.availability = withIdle(e.availability);
    }
    e.last_active = parseRfc3339(c.user_input->last_input).value_or(0);
  }
  e.activity = normalizedActivity(e.availability, std::move(e.activity));

  if (c.notes != nullptr) {
    const PidfNote& n = c.notes->front();
    Note note;
    note.text = n.text;
    note.lang = n.lang;
    const bool vacation = c.activities != nullptr && (contains(c.activities->tokens, "vacation") ||
                                                      contains(c.activities->tokens, "holiday"));
    const bool oof = ocs != nullptr && !ocs->note_type.empty() ? ocs->note_type == "OOF" : vacation;
    note.type = oof ? NoteType::OutOfOffice : NoteType::Personal;
    if (!note.text.empty()) {
      e.note = std::move(note);
    }
  }
  readDevice(doc, e);
  readExtensions(doc, e);
  return e;
}

PidfDocument pidfFromPresence(const Presence& p, std::string_view entity,
                              const PidfRenderOptions& options) {
  PidfDocument doc;
  doc.entity = std::string(entity);
  const AvailabilityBand band = p.band();

  PidfTuple tuple;
  tuple.id = options.tuple_id;
  tuple.basic_open = band != AvailabilityBand::Offline && band != AvailabilityBand::Unknown;
  tuple.contact = p.contact;
  if (p.note) {
    tuple.notes.push_back(PidfNote{p.note->text, p.note->lang});  // for PIDF-only watchers
  }
  if (options.timestamp != 0) {
    tuple.timestamp = formatRfc3339(options.timestamp);
  }

  PidfPerson person;
  person.id = options.person_id;
  person.activities = activitiesFor(p);
  if (p.idle() || p.last_active != 0) {
    RpidUserInput input;
    input.idle = p.idle();
    if (p.last_active != 0) {
      input.last_input = formatRfc3339(p.last_active);
    }
    person.user_input = input;
  }
  if (options.ocs_extension) {
    ConfabOcsState ocs;
    ocs.availability = p.availability;
    ocs.token = p.activity.token;
    if (p.note) {
      ocs.note_type = p.note->type == NoteType::OutOfOffice ? "OOF" : "personal";
    }
    person.ocs = std::move(ocs);
  }
  if (p.note) {
    person.notes.push_back(PidfNote{p.note->text, p.note->lang});
  }

  if (options.passthrough) {
    for (const PidfFragment& f : p.pidf_extensions) {
      switch (f.place) {
        case PidfPlace::Presence:
          doc.extensions.push_back(f.xml);
          break;
        case PidfPlace::Tuple:
          tuple.extensions.push_back(f.xml);
          break;
        case PidfPlace::Status:
          tuple.status_extensions.push_back(f.xml);
          break;
        case PidfPlace::Person:
          person.extensions.push_back(f.xml);
          break;
      }
    }
  }
  if (options.devices) {
    for (const DeviceInfo& d : p.devices) {
      if (d.endpoint_id.empty()) {
        continue;
      }
      PidfDevice device;
      device.id = "d" + std::to_string(doc.devices.size() + 1);
      device.device_id = deviceIdFor(d.endpoint_id);
      if (!d.device_name.empty()) {
        device.notes.push_back(PidfNote{d.device_name, ""});
      }
      if (options.passthrough) {
        device.extensions = d.pidf_extensions;
      }
      doc.devices.push_back(std::move(device));
    }
  }
  doc.tuples.push_back(std::move(tuple));
  doc.persons.push_back(std::move(person));
  return doc;
}

std::string renderPidf(const Presence& presence, std::string_view entity,
                       const PidfRenderOptions& options) {
  return writePidf(pidfFromPresence(presence, entity, options));
}

}  // namespace core::presence
