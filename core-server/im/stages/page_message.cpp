// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/stages/page_message.h"

#include "core-server/im/im_formats.h"
#include "proxy/base/random.h"
#include "proxy/base/strings.h"
#include "proxy/sip/name_addr.h"

namespace core::im {

PageMessage PageMessage::fromStored(const StoredMessage& m) {
  PageMessage out;
  out.from = m.from;
  out.to_aor = m.recipient;
  out.to = m.to;
  out.content_type = m.content_type;
  out.body = m.body;
  out.date = m.received_at;
  out.stored_id = m.id;
  return out;
}

std::string withoutTag(std::string_view value) {
  auto parsed = proxy::sip::NameAddr::parse(value);
  if (!parsed) {
    return std::string(value);
  }
  std::string out;
  if (!parsed->displayName().empty()) {
    out.append("\"").append(parsed->displayName()).append("\" ");
  }
  out.append("<").append(parsed->uriText()).append(">");
  for (const proxy::sip::Param& p : parsed->paramList()) {
    if (proxy::toLower(p.name) == "tag") {
      continue;
    }
    out.append(";").append(p.name);
    if (p.has_value) {
      out.append("=");
      if (p.quoted) {
        out.append("\"").append(p.value).append("\"");
      } else {
        out.append(p.value);
      }
    }
  }
  return out;
}

std::string aorNameAddr(std::string_view aor) {
  return std::string("<sip:").append(aor).append(">");
}

std::string offlineCallId(int64_t stored_id, int64_t received_at) {
  // Stable for one stored row (ids are never reused: AUTOINCREMENT); the time keeps
  // it apart from another database's row with the same id.
  return "off-" + std::to_string(stored_id) + "-" + std::to_string(received_at) + "@confab-im";
}

std::string buildPageRequest(const PageMessage& m, std::string_view request_uri,
                             std::string_view user_agent) {
  std::string out;
  out.reserve(400 + m.body.size());
  out.append("MESSAGE ").append(request_uri).append(" SIP/2.0\r\n");
  out.append("Max-Forwards: 70\r\n");
  // A stored message keeps one identity across attempts (and restarts): a
  // recipient can recognise a redelivery (offline_mailbox.h, "exactly once").
  const bool stored = m.stored_id > 0;
  const std::string id = std::to_string(m.stored_id);
  out.append("From: ").append(withoutTag(m.from)).append(";tag=");
  out.append(stored ? "off" + id : proxy::randomToken(12)).append("\r\n");
  out.append("To: ").append(withoutTag(m.to)).append("\r\n");
  out.append("Call-ID: ");
  if (stored) {
    out.append(offlineCallId(m.stored_id, m.date));
  } else {
    out.append(proxy::randomToken(20)).append("@confab-im");
  }
  out.append("\r\n");
  out.append("CSeq: 1 MESSAGE\r\n");
  if (stored) {
    out.append(kOfflineIdHeader).append(": ").append(id).append("\r\n");
  }
  if (m.date > 0) {
    out.append("Date: ").append(httpDate(m.date)).append("\r\n");
  }
  out.append("User-Agent: ").append(user_agent).append("\r\n");
  if (!m.content_type.empty()) {
    out.append("Content-Type: ").append(m.content_type).append("\r\n");
  }
  out.append("Content-Length: ").append(std::to_string(m.body.size())).append("\r\n\r\n");
  out.append(m.body);
  return out;
}

}  // namespace core::im
