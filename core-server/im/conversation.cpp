// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/conversation.h"

#include <algorithm>

namespace core::im {

Conversation::Join Conversation::add(std::string_view aor) {
  if (has(aor)) {
    return Join::Already;
  }
  if (participants_.size() >= max_participants_) {
    return Join::Full;
  }
  participants_.emplace_back(aor);
  ++version_;
  return Join::Added;
}

bool Conversation::remove(std::string_view aor) {
  auto it = std::find(participants_.begin(), participants_.end(), aor);
  if (it == participants_.end()) {
    return false;
  }
  participants_.erase(it);
  ++version_;
  return true;
}

bool Conversation::has(std::string_view aor) const {
  return std::find(participants_.begin(), participants_.end(), aor) != participants_.end();
}

std::vector<std::string> Conversation::others(std::string_view sender) const {
  std::vector<std::string> out;
  out.reserve(participants_.size());
  for (const std::string& p : participants_) {
    if (p != sender) {
      out.push_back(p);
    }
  }
  return out;
}

std::string xmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out.append("&amp;");
        break;
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      case '"':
        out.append("&quot;");
        break;
      case '\'':
        out.append("&apos;");
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string Conversation::conferenceInfo() const {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
      "<conference-info xmlns=\"urn:ietf:params:xml:ns:conference-info\" entity=\"sip:";
  out.append(xmlEscape(focus_aor_)).append("\" state=\"full\" version=\"");
  out.append(std::to_string(version_)).append("\">");
  out.append("<users>");
  for (const std::string& p : participants_) {
    out.append("<user entity=\"sip:").append(xmlEscape(p)).append("\" state=\"full\">");
    out.append("<status>connected</status></user>");
  }
  out.append("</users></conference-info>\r\n");
  return out;
}

std::string Conversation::notice(std::string_view aor, bool joined) {
  std::string out(aor);
  out.append(joined ? " joined the conversation" : " left the conversation");
  return out;
}

}  // namespace core::im
