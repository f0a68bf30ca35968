// SPDX-License-Identifier: Apache-2.0
// A page-mode message (RFC 3428) on its way to a local user, as the IM service
// passes it between shards, the offline mailbox and the bridge; and the request
// texts the service sends (without a Via: the transaction layer adds it).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core-server/im/offline_store.h"

namespace core::im {

// What a copy from the focus means to the mesh (stages/mesh.*), which shows a
// conversation to an OCS-dialect participant as one dialog per other member.
struct MeshEvent {
  enum class Kind { None, Message, Joined, Left };
  Kind kind = Kind::None;
  std::string conversation;               // the focus AOR
  std::string member;                     // who wrote, joined or left
  std::vector<std::string> participants;  // Joined: everyone now in the conversation
};

struct PageMessage {
  std::string from;    // From header value of the original sender (a tag is replaced)
  std::string to_aor;  // canonical recipient AOR
  std::string to;      // To header value, without a tag
  std::string content_type;
  std::string body;
  int64_t date = 0;  // unix seconds for a Date header (offline delivery); 0 = none
  // For session-mode endpoints, which show no roster: the text sent instead of a
  // conference-info body ("" = send the body as it is).
  std::string notice;
  MeshEvent mesh;  // set on copies from the focus
  // Offline redelivery identity (StoredMessage::id): the same Call-ID, From tag and
  // CSeq on every attempt, and a Confab-Offline-Id header. 0 = a fresh request.
  int64_t stored_id = 0;

  static PageMessage fromStored(const StoredMessage& m);
  // A note for the mesh alone (the recipient itself left): nothing for its
  // standard endpoints or a service inbox.
  bool meshOnly() const { return mesh.kind == MeshEvent::Kind::Left && mesh.member == to_aor; }
};

// The final status a delivery ended with (2xx: an endpoint accepted it).
using StatusCallback = std::function<void(int status)>;

// The header value without its tag parameter ("<sip:a@b>;tag=1;x=2" -> "<sip:a@b>;x=2").
std::string withoutTag(std::string_view name_addr);

// "<sip:user@host>" for a canonical AOR.
std::string aorNameAddr(std::string_view aor);

// The header naming a stored offline message on every delivery attempt of it.
inline constexpr std::string_view kOfflineIdHeader = "Confab-Offline-Id";
// The Call-ID every delivery attempt of one stored message carries.
std::string offlineCallId(int64_t stored_id, int64_t received_at);

// A MESSAGE to `request_uri` carrying `m`: a new Call-ID and From tag, or for a
// stored message (m.stored_id) the stable ones of offlineCallId() and "off<id>".
std::string buildPageRequest(const PageMessage& m, std::string_view request_uri,
                             std::string_view user_agent);

}  // namespace core::im
