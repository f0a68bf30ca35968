// SPDX-License-Identifier: Apache-2.0
#include "proxy/sip/dialog_request.h"

namespace proxy::sip {

void appendDialogRequestHead(std::string& out, const DialogRequestHead& h) {
  out.append(h.method).append(" ").append(h.remote_target).append(" SIP/2.0\r\n");
  for (const std::string& route : h.route_set) {
    out.append("Route: ").append(route).append("\r\n");
  }
  out.append("Max-Forwards: 70\r\n");
  out.append("From: <").append(h.local_uri).append(">;tag=").append(h.local_tag).append("\r\n");
  out.append("To: <").append(h.remote_uri).append(">");
  if (!h.remote_tag.empty()) {
    out.append(";tag=").append(h.remote_tag);
  }
  out.append("\r\n");
  out.append("Call-ID: ").append(h.call_id).append("\r\n");
  out.append("CSeq: ").append(std::to_string(h.cseq)).append(" ").append(h.method).append("\r\n");
  out.append("Contact: ").append(h.contact).append("\r\n");
}

}  // namespace proxy::sip
