// SPDX-License-Identifier: Apache-2.0
// The `groupchat:` section: service URIs (lookup and channel services), the
// database file, limits advertised to clients, session timers, and the
// categories and rooms seeded at start.
#include <set>
#include <string>

#include "proxy/base/strings.h"
#include "proxy/config/config_sections.h"

namespace proxy::config::detail {

namespace {

constexpr std::string_view kKinds = "open, closed or secret";

// A service AOR in one of our domains ("ocschat@example.com"); "sip:" is accepted.
std::optional<std::string> readServiceAor(Diagnostics& diag, const Value& value,
                                          const Config& config) {
  auto text = readString(diag, value);
  if (!text) {
    return std::nullopt;
  }
  std::string_view aor = trim(*text);
  if (aor.starts_with("sip:")) {
    aor.remove_prefix(4);
  }
  auto normal = config.domains.empty() ? checkAorSyntax(aor) : normalizeAor(aor, config.domains);
  if (!normal) {
    diag.add(value.mark, value.path, normal.error().detail);
    return std::nullopt;
  }
  return *normal;
}

std::vector<std::string> readAors(Diagnostics& diag, const MapReader& map, std::string_view key) {
  std::vector<std::string> out;
  if (auto list = map.get(key)) {
    for (const Value& item : readList(diag, *list)) {
      if (auto text = readString(diag, item)) {
        auto aor = checkAorSyntax(*text);
        if (aor) {
          out.push_back(std::move(*aor));
        } else {
          diag.add(item.mark, item.path, aor.error().detail);
        }
      }
    }
  }
  return out;
}

void readCategory(Diagnostics& diag, const Value& item, GroupChatConfig& gc) {
  const size_t errors = diag.count();
  MapReader map(diag, item, {"name", "description"});
  GroupChatCategoryConfig category;
  map.read("name", category.name);
  map.read("description", category.description);
  if (category.name.empty() && diag.count() == errors) {
    diag.add(map.mark(), item.path, "a category needs a name");
  }
  for (const auto& other : gc.categories) {
    if (other.name == category.name) {
      diag.add(map.mark(), item.path, "duplicate category name \"" + category.name + "\"");
    }
  }
  if (diag.count() == errors) {
    gc.categories.push_back(std::move(category));
  }
}

void readRoom(Diagnostics& diag, const Value& item, GroupChatConfig& gc) {
  const size_t errors = diag.count();
  MapReader map(diag, item,
                {"name", "category", "description", "topic", "keywords", "kind", "auditorium",
                 "retention_days", "members", "managers", "presenters"});
  GroupChatRoomConfig room;
  map.read("name", room.name);
  map.read("category", room.category);
  map.read("description", room.description);
  map.read("topic", room.topic);
  map.read("keywords", room.keywords);
  map.read("auditorium", room.auditorium);
  map.read("retention_days", room.retention_days, 0, 36500);
  if (auto kind = map.get("kind")) {
    if (auto text = readString(diag, *kind)) {
      if (*text == "open" || *text == "closed" || *text == "secret") {
        room.kind = *text;
      } else {
        diag.add(kind->mark, kind->path,
                 "expected " + std::string(kKinds) + ", got " + describe(kind->node));
      }
    }
  }
  room.members = readAors(diag, map, "members");
  room.managers = readAors(diag, map, "managers");
  room.presenters = readAors(diag, map, "presenters");
  if (room.name.empty() && diag.count() == errors) {
    diag.add(map.mark(), item.path, "a room needs a name");
  }
  if (!room.category.empty()) {
    bool known = false;
    for (const auto& category : gc.categories) {
      known = known || category.name == room.category;
    }
    if (!known) {
      diag.add(map.mark(), item.path, "unknown category \"" + room.category + "\"");
    }
  }
  for (const auto& other : gc.rooms) {
    if (other.name == room.name) {
      diag.add(map.mark(), item.path, "duplicate room name \"" + room.name + "\"");
    }
  }
  if (diag.count() == errors) {
    gc.rooms.push_back(std::move(room));
  }
}

// file_tls: the endpoint's certificate and key are its own pair or the TLS listener's.
void readFileTls(Diagnostics& diag, const MapReader& map, Config& config) {
  GroupChatConfig& gc = config.groupchat;
  if (gc.file_certificate.empty() != gc.file_private_key.empty()) {
    const Value at =
        map.getOrEmpty(gc.file_certificate.empty() ? "file_certificate" : "file_private_key");
    diag.add(at.mark, at.path, "file_certificate and file_private_key go together");
    return;
  }
  if (!gc.file_tls) {
    if (!gc.file_certificate.empty()) {
      const Value at = map.getOrEmpty("file_certificate");
      diag.add(at.mark, at.path, "is used only with file_tls: true");
    }
    return;
  }
  if (gc.file_certificate.empty()) {
    for (const ListenerConfig& listener : config.listeners) {
      if (listener.transport == Transport::Tls) {
        gc.file_certificate = listener.certificate;
        gc.file_private_key = listener.private_key;
        break;
      }
    }
  }
  if (gc.file_certificate.empty()) {
    const Value at = map.getOrEmpty("file_tls");
    diag.add(at.mark, at.path,
             "needs file_certificate and file_private_key, or a tls listener to borrow them from");
  }
}

}  // namespace

void readGroupChat(const MapReader& root, Config& config) {
  Diagnostics& diag = root.diagnostics();
  MapReader map(diag, root.getOrEmpty("groupchat"),
                {"enabled",
                 "lookup_uri",
                 "channel_uris",
                 "database",
                 "session_expires",
                 "min_session_expires",
                 "message_size_limit",
                 "story_size_limit",
                 "search_limit",
                 "max_history",
                 "bjoin_history",
                 "max_sessions",
                 "max_posts_in_flight",
                 "file_service_uri",
                 "file_address",
                 "file_port",
                 "file_dir",
                 "max_file_size",
                 "file_tls",
                 "file_certificate",
                 "file_private_key",
                 "categories",
                 "rooms"});
  GroupChatConfig& gc = config.groupchat;
  map.read("enabled", gc.enabled);
  if (auto lookup = map.get("lookup_uri")) {
    if (auto aor = readServiceAor(diag, *lookup, config)) {
      gc.lookup_uri = *aor;
    }
  }
  if (auto channels = map.get("channel_uris")) {
    std::set<std::string> seen;
    for (const Value& item : readList(diag, *channels)) {
      if (auto aor = readServiceAor(diag, item, config)) {
        if (!seen.insert(*aor).second || *aor == gc.lookup_uri) {
          diag.add(item.mark, item.path, "duplicate service URI " + *aor);
        }
        gc.channel_uris.push_back(*aor);
      }
    }
  }
  if (auto database = map.get("database")) {
    if (auto text = readString(diag, *database)) {
      if (text->empty()) {
        diag.add(database->mark, database->path, "expected a database file path, got \"\"");
      } else {
        gc.database = *text;
      }
    }
  }
  map.read("session_expires", gc.session_expires, 90, 86400);
  map.read("min_session_expires", gc.min_session_expires, 90, 86400);
  map.read("message_size_limit", gc.message_size_limit, 16, 1024 * 1024);
  map.read("story_size_limit", gc.story_size_limit, 16, 1024 * 1024);
  map.read("search_limit", gc.search_limit, 1, 10000);
  map.read("max_history", gc.max_history, 1, 10000);
  map.read("bjoin_history", gc.bjoin_history, 0, 1000);
  map.read("max_sessions", gc.max_sessions, 1, 10000000);
  map.read("max_posts_in_flight", gc.max_posts_in_flight, 1, 100000);
  map.read("file_service_uri", gc.file_service_uri);
  map.read("file_address", gc.file_address);
  map.read("file_port", gc.file_port, 0, 65535);
  map.read("file_dir", gc.file_dir);
  map.read("max_file_size", gc.max_file_size, 1, 1024u * 1024 * 1024);
  map.read("file_tls", gc.file_tls);
  map.read("file_certificate", gc.file_certificate);
  map.read("file_private_key", gc.file_private_key);
  readFileTls(diag, map, config);
  if (gc.min_session_expires > gc.session_expires) {
    const Value at = map.getOrEmpty("min_session_expires");
    diag.add(at.mark, at.path, "must not exceed session_expires");
  }
  if (auto categories = map.get("categories")) {
    for (const Value& item : readList(diag, *categories)) {
      readCategory(diag, item, gc);
    }
  }
  if (auto rooms = map.get("rooms")) {
    for (const Value& item : readList(diag, *rooms)) {
      readRoom(diag, item, gc);
    }
  }
  const std::string domain = config.domains.empty() ? std::string() : config.domains.front();
  if (gc.lookup_uri.empty() && !domain.empty()) {
    gc.lookup_uri = "ocschat@" + domain;
  }
  if (gc.channel_uris.empty() && !domain.empty()) {
    gc.channel_uris.push_back("ocschat-channel@" + domain);
  }
}

}  // namespace proxy::config::detail
