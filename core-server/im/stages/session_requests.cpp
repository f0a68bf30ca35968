// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/stages/session_requests.h"

namespace core::im {
namespace {

void appendDialogHeaders(std::string& out, const SessionDialog& d, std::string_view to_tag) {
  out.append("Max-Forwards: 70\r\n");
  out.append("From: ").append(d.local).append(";tag=").append(d.local_tag).append("\r\n");
  out.append("To: ").append(d.remote);
  if (!to_tag.empty()) {
    out.append(";tag=").append(to_tag);
  }
  out.append("\r\n");
  out.append("Call-ID: ").append(d.call_id).append("\r\n");
}

void appendBody(std::string& out, std::string_view content_type, std::string_view body) {
  if (!content_type.empty()) {
    out.append("Content-Type: ").append(content_type).append("\r\n");
  }
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
  out.append(body);
}

}  // namespace

std::string buildSessionInvite(const SessionDialog& d, std::string_view request_uri,
                               std::string_view conversation_id, std::string_view text_format,
                               std::string_view sdp, std::string_view user_agent,
                               std::string_view extra_headers) {
  std::string out;
  out.reserve(600 + sdp.size() + text_format.size() + extra_headers.size());
  out.append("INVITE ").append(request_uri).append(" SIP/2.0\r\n");
  appendDialogHeaders(out, d, {});
  out.append("CSeq: 1 INVITE\r\n");
  out.append("Contact: ").append(d.local_contact).append("\r\n");
  out.append("Supported: ms-sender, ms-text-format\r\n");
  out.append("Ms-Conversation-ID: ").append(conversation_id).append("\r\n");
  if (!text_format.empty()) {
    out.append("ms-text-format: ").append(text_format).append("\r\n");
  }
  out.append(extra_headers);
  out.append("User-Agent: ").append(user_agent).append("\r\n");
  appendBody(out, "application/sdp", sdp);
  return out;
}

std::string buildInDialogRequest(const SessionDialog& d, std::string_view method, uint32_t cseq,
                                 std::string_view content_type, std::string_view body,
                                 std::string_view user_agent) {
  std::string out;
  out.reserve(400 + body.size());
  out.append(method).append(" ").append(d.remote_target).append(" SIP/2.0\r\n");
  appendDialogHeaders(out, d, d.remote_tag);
  out.append("CSeq: ").append(std::to_string(cseq)).append(" ").append(method).append("\r\n");
  out.append("Contact: ").append(d.local_contact).append("\r\n");
  out.append("User-Agent: ").append(user_agent).append("\r\n");
  appendBody(out, content_type, body);
  return out;
}

std::string buildAck(const SessionDialog& d, std::string_view target, std::string_view to_tag) {
  std::string out;
  out.append("ACK ").append(target).append(" SIP/2.0\r\n");
  appendDialogHeaders(out, d, to_tag);
  out.append("CSeq: 1 ACK\r\n");
  appendBody(out, {}, {});
  return out;
}

int bestFinalStatus(const std::vector<int>& statuses) {
  int best = 0;
  for (int status : statuses) {
    const bool better = best == 0 || (status >= 600 && best < 600) ||
                        ((status < 600) == (best < 600) && status < best);
    if (better) {
      best = status;
    }
  }
  return best;
}

}  // namespace core::im
