// SPDX-License-Identifier: Apache-2.0
// The `im:` section: the offline store's file and limits, bridged session
// idle timeout, message size and per-sender flood limits.
#include <string>

#include "proxy/config/config_sections.h"

namespace proxy::config {

std::string ImConfig::databasePath(const std::string& var_dir) const {
  if (!database.empty()) {
    return database;
  }
  return (var_dir.empty() ? std::string(".") : var_dir) + "/im.db";
}

namespace detail {

void readIm(const MapReader& root, Config& config) {
  Diagnostics& diag = root.diagnostics();
  MapReader map(diag, root.getOrEmpty("im"),
                {"database", "max_body_size", "session_idle_timeout_s", "offline_max_messages",
                 "offline_max_bytes", "offline_max_age_s", "offline_retry_interval_s",
                 "flood_max_messages", "flood_window_s", "max_participants", "ocs_multiparty"});
  ImConfig& im = config.im;
  if (auto database = map.get("database")) {
    if (auto text = readString(diag, *database)) {
      if (text->empty()) {
        diag.add(database->mark, database->path, "expected a database file path, got \"\"");
      } else {
        im.database = *text;
      }
    }
  }
  map.read("max_body_size", im.max_body_size, 1, 16 * 1024 * 1024);
  map.read("session_idle_timeout_s", im.session_idle_timeout_s, 1, 86400);
  map.read("offline_max_messages", im.offline_max_messages, 0, 1000000);
  map.read("offline_max_bytes", im.offline_max_bytes, 0, 1024u * 1024 * 1024);
  map.read("offline_max_age_s", im.offline_max_age_s, 1, 31536000);
  map.read("offline_retry_interval_s", im.offline_retry_interval_s, 1, 86400);
  map.read("flood_max_messages", im.flood_max_messages, 0, 1000000);
  map.read("flood_window_s", im.flood_window_s, 1, 3600);
  map.read("max_participants", im.max_participants, 3, 100000);
  if (auto mode = map.get("ocs_multiparty")) {
    if (auto text = readString(diag, *mode)) {
      if (*text == "mesh" || *text == "notice") {
        im.ocs_multiparty = *text;
      } else {
        diag.add(mode->mark, mode->path, "expected mesh or notice, got " + describe(mode->node));
      }
    }
  }
}

}  // namespace detail
}  // namespace proxy::config
