// SPDX-License-Identifier: Apache-2.0
#include "adapters/http_presence/presence_view.h"

#include <cstdio>
#include <ctime>

namespace adapters::http_presence {

std::string_view availabilityName(uint32_t a) {
  if (a < 3000) return "PresenceUnknown";
  if (a < 4500) return "Available";
  if (a < 6000) return "AvailableIdle";
  if (a >= 6900 && a < 7000) return "DoNotDisturb";  // urgent interruptions only
  if (a < 7500) return "Busy";
  if (a < 9000) return "BusyIdle";
  if (a < 12000) return "DoNotDisturb";
  if (a < 15000) return "BeRightBack";
  if (a < 18000) return "Away";
  return "Offline";
}

std::string activityName(std::string_view token, uint32_t availability) {
  struct Entry {
    std::string_view token, name;
  };
  static constexpr Entry kMap[] = {
      {"available", "Available"},
      {"online", "Available"},
      {"idle", "Inactive"},
      {"busy", "Busy"},
      {"busyidle", "Busy"},
      {"on-the-phone", "InACall"},
      {"in-a-conference", "InAConferenceCall"},
      {"in-a-meeting", "InAMeeting"},
      {"meeting", "InAMeeting"},
      {"urgent-interruptions-only", "UrgentInterruptionsOnly"},
      {"do-not-disturb", "DoNotDisturb"},
      {"dnd", "DoNotDisturb"},
      {"in-presentation", "Presenting"},
      {"be-right-back", "BeRightBack"},
      {"away", "Away"},
      {"out-to-lunch", "Away"},
      {"lunch", "Away"},
      {"out-of-office", "OutOfOffice"},
      {"vacation", "OutOfOffice"},
      {"offline", "Offline"},
      {"invisible", "Offline"},
  };
  if (!token.empty()) {
    for (const Entry& e : kMap) {
      if (e.token == token) {
        return std::string(e.name);
      }
    }
    return std::string(token);
  }
  const std::string_view name = availabilityName(availability);
  if (name == "AvailableIdle") return "Inactive";
  if (name == "BusyIdle") return "Busy";
  return std::string(name);
}

std::string isoTime(int64_t unix_ms) {
  if (unix_ms <= 0) {
    return {};
  }
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[64];
  std::snprintf(out, sizeof out, "%.*s.%03dZ", static_cast<int>(n), buf,
                static_cast<int>(unix_ms % 1000));
  return out;
}

nlohmann::json toJson(const PresenceState& p) {
  nlohmann::json j;
  j["id"] = p.aor;
  j["aor"] = p.aor;
  j["availability"] = availabilityName(p.availability);
  j["activity"] = activityName(p.activity, p.availability);
  j["statusMessage"] = p.note;
  j["sequenceNumber"] = p.sequence;
  j["lastModified"] = isoTime(p.changed_at_ms);
  j["ocsAvailability"] = p.availability;
  j["imCapable"] = p.im_capable;
  return j;
}

std::string sseEvent(const PresenceState& p) {
  // dump() escapes control characters, so the data line never holds a raw newline.
  return "id: " + std::to_string(p.sequence) + "\nevent: presence\ndata: " +
         toJson(p).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
}

}  // namespace adapters::http_presence
