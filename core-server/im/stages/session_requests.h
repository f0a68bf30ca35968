// SPDX-License-Identifier: Apache-2.0
// The requests the bridge sends in an OCS IM session (PROTOCOLS.md §(c)), as
// text without a Via (the transaction layer adds it), and the choice of the
// final answer among forked INVITEs. Pure functions, so the session's wire
// format is testable without a router.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace core::im {

// Our view of one session dialog (RFC 3261 §12).
struct SessionDialog {
  std::string call_id;
  std::string local_tag;
  std::string remote_tag;     // "" before the 2xx
  std::string local;          // our From: the page-mode user's name-addr, no tag
  std::string remote;         // our To: the session-mode user's name-addr, no tag
  std::string remote_target;  // Request-URI of requests inside the dialog
  std::string local_contact;  // "<sip:im-bridge@host:port;transport=t;sh=N>"
};

// The INVITE opening an IM session to `request_uri` (one endpoint), carrying the
// first message in ms-text-format (`text_format`, "" for none) and the SDP offer.
// `extra_headers`: whole "Name: value\r\n" lines added as they are.
std::string buildSessionInvite(const SessionDialog& d, std::string_view request_uri,
                               std::string_view conversation_id, std::string_view text_format,
                               std::string_view sdp, std::string_view user_agent,
                               std::string_view extra_headers = {});

// MESSAGE / INFO / BYE inside the dialog, CSeq `cseq`.
std::string buildInDialogRequest(const SessionDialog& d, std::string_view method, uint32_t cseq,
                                 std::string_view content_type, std::string_view body,
                                 std::string_view user_agent);

// The ACK for a 2xx (CSeq number of the INVITE), to `target`, with the 2xx's To tag.
std::string buildAck(const SessionDialog& d, std::string_view target, std::string_view to_tag);

// RFC 3261 §16.7 step 6 among the finals of the forked INVITEs: 6xx first,
// otherwise the lowest. 0 for an empty list.
int bestFinalStatus(const std::vector<int>& statuses);

}  // namespace core::im
