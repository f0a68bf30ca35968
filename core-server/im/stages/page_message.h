// SPDX-License-Identifier: Apache-2.0
// A page-mode message (RFC 3428) on its way to a local user, as the IM service
// passes it between shards, the offline mailbox and the bridge; and the request
// texts the service sends (without a Via: the transaction layer adds it).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core-server/im/offline_store.h"

namespace core::im {

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

  static PageMessage fromStored(const StoredMessage& m);
};

// The final status a delivery ended with (2xx: an endpoint accepted it).
using StatusCallback = std::function<void(int status)>;

// The header value without its tag parameter ("<sip:a@b>;tag=1;x=2" -> "<sip:a@b>;x=2").
std::string withoutTag(std::string_view name_addr);

// "<sip:user@host>" for a canonical AOR.
std::string aorNameAddr(std::string_view aor);

// A MESSAGE to `request_uri` carrying `m`, with a new Call-ID and From tag.
std::string buildPageRequest(const PageMessage& m, std::string_view request_uri,
                             std::string_view user_agent);

}  // namespace core::im
