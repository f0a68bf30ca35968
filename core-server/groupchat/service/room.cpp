// SPDX-License-Identifier: Apache-2.0
#include "core-server/groupchat/service/room.h"

#include <openssl/rand.h>

#include <cstdio>

namespace core::groupchat {

std::string_view roomKindName(RoomKind kind) {
  switch (kind) {
    case RoomKind::Open:
      return "open";
    case RoomKind::Closed:
      return "closed";
    case RoomKind::Secret:
      return "secret";
  }
  return "open";
}

std::optional<RoomKind> parseRoomKind(std::string_view name) {
  for (RoomKind kind : {RoomKind::Open, RoomKind::Closed, RoomKind::Secret}) {
    if (roomKindName(kind) == name) {
      return kind;
    }
  }
  return std::nullopt;
}

bool isListed(const Room& room, std::string_view aor) {
  const std::string key(aor);
  return room.members.contains(key) || room.managers.contains(key) || room.presenters.contains(key);
}

bool canSee(const Room& room, std::string_view aor) {
  return room.kind != RoomKind::Secret || isListed(room, aor);
}

bool canJoin(const Room& room, std::string_view aor) {
  return room.kind == RoomKind::Open || isListed(room, aor);
}

bool isManager(const Room& room, std::string_view aor) {
  return room.managers.contains(std::string(aor));
}

bool canPost(const Room& room, std::string_view aor) {
  if (!canJoin(room, aor)) {
    return false;
  }
  const std::string key(aor);
  return !room.auditorium || room.presenters.contains(key) || room.managers.contains(key);
}

std::string newUuid() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    // Fall back to a non-cryptographic source: uniqueness, not secrecy, matters here.
    for (unsigned char& byte : b) {
      byte = static_cast<unsigned char>(std::rand());
    }
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char text[37];
  std::snprintf(text, sizeof text,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return text;
}

}  // namespace core::groupchat
