// SPDX-License-Identifier: Apache-2.0
// The group-chat catalogue: categories and rooms with their kind (open, closed,
// secret), auditorium flag, role lists and retention. Loaded from the store at
// start, seeded from YAML and edited by confabctl. The policy functions say what
// a user may see, join and post; a secret room is invisible to non-members, so
// every answer about it to them looks exactly like "no such room". Plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace core::groupchat {

enum class RoomKind {
  Open,    // anyone may find and join it
  Closed,  // anyone may find it; only members (and managers, presenters) may join
  Secret,  // only members see it at all
};
std::string_view roomKindName(RoomKind kind);  // "open", "closed", "secret"
std::optional<RoomKind> parseRoomKind(std::string_view name);

struct Category {
  std::string uuid;  // lower-case UUID; ma-cat://<domain>/<uuid>
  std::string name;
  std::string description;
};

struct Room {
  std::string uuid;  // lower-case UUID; ma-chan://<domain>/<uuid>
  std::string name;
  std::string category;  // category uuid ("" = the root)
  std::string description;
  std::string topic;
  std::string keywords;  // space-separated, searched by chansrch
  RoomKind kind = RoomKind::Open;
  bool auditorium = false;           // only presenters (and managers) post
  uint32_t retention_days = 0;       // 0 keeps posts for ever
  std::set<std::string> members;     // AORs (user@domain, lower-case)
  std::set<std::string> managers;    // may do everything a member may, and invite
  std::set<std::string> presenters;  // may post in an auditorium
};

// A user listed in any role of the room.
bool isListed(const Room& room, std::string_view aor);
bool canSee(const Room& room, std::string_view aor);
bool canJoin(const Room& room, std::string_view aor);
bool canPost(const Room& room, std::string_view aor);
bool isManager(const Room& room, std::string_view aor);

// A fresh random UUID (version 4), lower-case.
std::string newUuid();

}  // namespace core::groupchat
