// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/ms_mapping.h"

#include "core-server/presence/namespaces.h"
#include "core-server/presence/timestamp.h"
#include "core-server/presence/xml_writer.h"

namespace core::presence {
namespace {

MsCategoryInstance passthroughOf(const CategoryPublication& p) {
  return MsCategoryInstance{p.name, p.instance, p.container, p.version, p.publish_time, p.xml};
}

// An MS calendarState (sipe publishes Busy as 6500 + "in-a-meeting" and OOF as the
// token "out-of-office" without availability).
CalendarState calendarOf(const MsState& s) {
  CalendarState c;
  const AvailabilityBand band = bandOf(s.availability);
  if (s.activity.token == kTokenOutOfOffice) {
    c.state = FreeBusy::OutOfOffice;
  } else if (s.activity.token == kTokenInAMeeting || band == AvailabilityBand::Busy ||
             band == AvailabilityBand::BusyIdle) {
    c.state = FreeBusy::Busy;
  } else if (band == AvailabilityBand::Available) {
    c.state = FreeBusy::Free;
  }
  c.meeting_subject = s.meeting_subject;
  c.meeting_location = s.meeting_location;
  c.start = s.start_time;
  return c;
}

void foldState(const CategoryPublication& pub, const MsState& s, PresentityState& state,
               EndpointPresence& endpoint, int64_t user_state_expires_at) {
  switch (s.kind) {
    case StateKind::User:
      state.user_state = UserState{StateValue{s.availability, s.activity}, user_state_expires_at};
      break;
    case StateKind::Machine:
      endpoint.availability = s.availability;
      endpoint.activity = normalizedActivity(s.availability, s.activity);
      break;
    case StateKind::Phone:
      endpoint.phone = StateValue{s.availability, s.activity};
      break;
    case StateKind::Calendar:
      endpoint.calendar = calendarOf(s);
      break;
    case StateKind::Aggregate:
    case StateKind::Other:
      // Clients do not publish aggregates; unknown flavours are passed through.
      if (pub.expire_type == ExpireType::Endpoint) {
        endpoint.ms_categories.push_back(passthroughOf(pub));
      } else {
        state.ms_categories.push_back(passthroughOf(pub));
      }
      break;
  }
}

// ---- rendering ---------------------------------------------------------------

class CategoryWriter {
 public:
  CategoryWriter(XmlWriter& w, const MsRenderOptions& options) : w_(w), options_(options) {}

  void open(std::string_view name, uint32_t instance) {
    openWith(name, instance, options_.container, options_.version, options_.publish_time);
  }
  void openWith(std::string_view name, uint32_t instance, uint32_t container, uint32_t version,
                int64_t publish_time) {
    w_.open("category");
    w_.attribute("name", name);
    w_.attribute("instance", std::to_string(instance));
    if (publish_time != 0) {
      w_.attribute("publishTime", formatRfc3339(publish_time));
    }
    w_.attribute("container", std::to_string(container));
    w_.attribute("version", std::to_string(version));
  }
  void close() { w_.close(); }

 private:
  XmlWriter& w_;
  const MsRenderOptions& options_;
};

void writeState(XmlWriter& w, const Presence& p, uint32_t level) {
  const bool blocked = level >= kContainerBlocked;
  w.open("state");
  w.attribute("xmlns", ns::kMsState);
  w.attribute("xmlns:xsi", ns::kXsi);
  w.attribute("xsi:type", "aggregateState");
  if (!blocked && level >= kContainerCompany && p.last_active != 0) {
    w.attribute("lastActive", formatRfc3339(p.last_active));
  }
  w.leaf("availability", std::to_string(blocked ? kAvailabilityOffline : p.availability));
  if (!blocked && level >= kContainerCompany && !p.activity.empty()) {
    w.open("activity");
    if (!p.activity.token.empty()) {
      w.attribute("token", p.activity.token);
    }
    if (!p.activity.custom.empty()) {
      w.open("custom");
      if (!p.activity.custom_lang.empty()) {
        w.attribute("lang", p.activity.custom_lang);
      }
      w.text(p.activity.custom);
      w.close();
    }
    w.close();
  }
  if (!blocked && level >= kContainerTeam && p.calendar) {
    if (!p.calendar->meeting_subject.empty()) {
      w.leaf("meetingSubject", p.calendar->meeting_subject);
    }
    if (!p.calendar->meeting_location.empty()) {
      w.leaf("meetingLocation", p.calendar->meeting_location);
    }
  }
  w.close();
}

void writeNote(XmlWriter& w, const Note& n) {
  w.open("note");
  w.attribute("xmlns", ns::kMsNote);
  w.open("body");
  w.attribute("type", n.type == NoteType::OutOfOffice ? "OOF" : "personal");
  w.attribute("uri", "");
  if (!n.lang.empty()) {
    w.attribute("lang", n.lang);
  }
  if (n.start != 0) {
    w.attribute("startTime", formatRfc3339(n.start));
  }
  if (n.end != 0) {
    w.attribute("endTime", formatRfc3339(n.end));
  }
  w.text(n.text);
  w.close();
  w.close();
}

void writeCapability(XmlWriter& w, std::string_view name) {
  w.open(name);
  w.attribute("capture", "true");
  w.attribute("render", "true");
  w.attribute("publish", "false");
  w.close();
}

void writeDevice(XmlWriter& w, const DeviceInfo& d, std::string_view uri) {
  w.open("device");
  w.attribute("xmlns", ns::kMsDevice);
  w.attribute("endpointId", d.endpoint_id);
  w.open("capabilities");
  w.attribute("preferred", "false");
  w.attribute("uri", d.contact.empty() ? uri : std::string_view(d.contact));
  if (d.caps.im.value_or(true)) {  // SIP endpoints without a capability list still take IM
    writeCapability(w, "text");
  }
  if (d.caps.voice.value_or(false)) {
    writeCapability(w, "voice");
  }
  if (d.caps.video.value_or(false)) {
    writeCapability(w, "video");
  }
  w.close();
  if (!d.timezone.empty()) {
    w.leaf("timezone", d.timezone);
  }
  if (!d.device_name.empty()) {
    w.leaf("machineName", d.device_name);
  }
  w.close();
}

}  // namespace

uint32_t deviceInstanceFor(std::string_view endpoint_id) {
  uint32_t h = 2166136261U;
  for (char c : endpoint_id) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619U;
  }
  return h;
}

void foldPublication(const CategoryPublication& pub, PresentityState& state,
                     EndpointPresence& endpoint, int64_t user_state_expires_at) {
  if (pub.removes()) {
    return;
  }
  endpoint.dialect = Dialect::MsCategories;
  if (pub.state) {
    foldState(pub, *pub.state, state, endpoint, user_state_expires_at);
  } else if (pub.name == "note") {
    // A note without a body clears one: sipe publishes the personal note as
    // instance 0 and the OOF note under a hashed instance.
    const bool oof = pub.note ? pub.note->type == NoteType::OutOfOffice : pub.instance != 0;
    if (oof) {
      state.oof_note = pub.note;
    } else {
      state.personal_note = pub.note;
    }
  } else if (pub.device) {
    std::vector<std::string> keep = std::move(endpoint.device.pidf_extensions);
    endpoint.device = *pub.device;
    endpoint.device.pidf_extensions = std::move(keep);
  } else if (pub.expire_type == ExpireType::Endpoint) {
    endpoint.ms_categories.push_back(passthroughOf(pub));
  } else {
    state.ms_categories.push_back(passthroughOf(pub));
  }
}

EndpointPresence endpointFromCategories(const CategoriesDocument& doc) {
  EndpointPresence e;
  e.dialect = Dialect::MsCategories;
  const MsState* chosen = nullptr;
  for (const CategoryPublication& c : doc.categories) {
    if (c.state) {
      // Watchers get aggregateState; take it over any other flavour.
      if (chosen == nullptr ||
          (c.state->kind == StateKind::Aggregate && chosen->kind != StateKind::Aggregate)) {
        chosen = &*c.state;
      }
    } else if (c.name == "note") {
      if (c.note && !c.note->text.empty()) {
        e.note = c.note;
      }
    } else if (c.device) {
      if (e.device.endpoint_id.empty()) {
        e.device = *c.device;
      }
    } else {
      e.ms_categories.push_back(passthroughOf(c));
    }
  }
  if (chosen != nullptr) {
    e.availability = chosen->availability;
    e.activity = normalizedActivity(chosen->availability, chosen->activity);
    e.last_active = chosen->last_active;
    if (!chosen->meeting_subject.empty() || !chosen->meeting_location.empty()) {
      CalendarState cal;
      cal.state = FreeBusy::Busy;
      cal.meeting_subject = chosen->meeting_subject;
      cal.meeting_location = chosen->meeting_location;
      e.calendar = cal;
    }
  }
  return e;
}

std::string renderCategories(const Presence& p, std::string_view uri,
                             const MsRenderOptions& options) {
  const uint32_t level = options.container;
  const bool blocked = level >= kContainerBlocked;
  std::string out;
  out.reserve(1024);
  XmlWriter w(out);
  w.declaration();
  w.open("categories");
  w.attribute("xmlns", ns::kMsCategories);
  w.attribute("uri", uri);
  CategoryWriter category(w, options);

  category.open("state", 0);
  writeState(w, p, level);
  category.close();
  if (blocked) {
    w.close();
    return out;
  }
  if (level >= kContainerCompany) {
    category.open("note", 0);
    if (p.note && !p.note->text.empty()) {
      writeNote(w, *p.note);
    }  // else an empty category: "cleared" (PROTOCOLS.md (b))
    category.close();
  }
  if (level >= kContainerTeam) {
    for (const DeviceInfo& d : p.devices) {
      if (d.endpoint_id.empty()) {
        continue;
      }
      category.open("device", deviceInstanceFor(d.endpoint_id));
      writeDevice(w, d, uri);
      category.close();
    }
  }
  for (const MsCategoryInstance& c : p.ms_categories) {
    if (c.container != level) {
      continue;  // containers are ACL buckets: only the watcher's own bucket
    }
    category.openWith(c.name, c.instance, c.container, c.version, c.publish_time);
    w.raw(c.xml);
    category.close();
  }
  w.close();
  return out;
}

}  // namespace core::presence
