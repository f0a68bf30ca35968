// SPDX-License-Identifier: Apache-2.0
// The start of a request this server sends inside a dialog it holds as the UAS
// side of a SUBSCRIBE or INVITE (NOTIFY, BENOTIFY, INFO, BYE): request line, the
// route set, Max-Forwards, From/To with tags, Call-ID, CSeq and Contact. Presence,
// the IM focus and group chat each keep their own dialog record; they share this text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace proxy::sip {

struct DialogRequestHead {
  std::string_view method;
  std::string_view remote_target;  // Request-URI: the peer's Contact
  const std::vector<std::string>& route_set;
  std::string_view local_uri, local_tag;    // From
  std::string_view remote_uri, remote_tag;  // To (no tag when empty)
  std::string_view call_id;
  uint32_t cseq = 0;
  std::string_view contact;  // our Contact, a whole name-addr
};

// Appends the head's header lines, each ending in CRLF; the caller adds the rest.
void appendDialogRequestHead(std::string& out, const DialogRequestHead& head);

}  // namespace proxy::sip
