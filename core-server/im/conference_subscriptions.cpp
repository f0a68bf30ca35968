// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/conference_subscriptions.h"

#include <algorithm>

#include "core-server/im/conversation.h"
#include "proxy/sip/dialog_request.h"

namespace core::im {

std::string ConferenceSubscriptions::key(std::string_view call_id, std::string_view local_tag,
                                         std::string_view remote_tag) {
  std::string k(call_id);
  k.append("\n").append(local_tag).append("\n").append(remote_tag);
  return k;
}

ConferenceSubscription& ConferenceSubscriptions::add(ConferenceSubscription s) {
  s.id = next_id_++;
  by_dialog_[key(s.dialog.call_id, s.dialog.local_tag, s.dialog.remote_tag)] = s.id;
  return by_id_.emplace(s.id, std::move(s)).first->second;
}

ConferenceSubscription* ConferenceSubscriptions::find(uint64_t id) {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

ConferenceSubscription* ConferenceSubscriptions::findDialog(std::string_view call_id,
                                                            std::string_view local_tag,
                                                            std::string_view remote_tag) {
  auto it = by_dialog_.find(key(call_id, local_tag, remote_tag));
  return it == by_dialog_.end() ? nullptr : find(it->second);
}

bool ConferenceSubscriptions::remove(uint64_t id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) {
    return false;
  }
  const ConferenceDialog& d = it->second.dialog;
  by_dialog_.erase(key(d.call_id, d.local_tag, d.remote_tag));
  by_id_.erase(it);
  return true;
}

std::vector<uint64_t> ConferenceSubscriptions::watchersOf(std::string_view focus_aor) const {
  std::vector<uint64_t> out;
  for (const auto& [id, s] : by_id_) {
    if (s.focus_aor == focus_aor) {
      out.push_back(id);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<uint64_t> ConferenceSubscriptions::expired(int64_t now_ms) const {
  std::vector<uint64_t> out;
  for (const auto& [id, s] : by_id_) {
    if (s.expires_ms <= now_ms) {
      out.push_back(id);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

std::string documentStart(std::string_view focus_aor, std::string_view state, uint32_t version) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
      "<conference-info xmlns=\"urn:ietf:params:xml:ns:conference-info\" entity=\"sip:";
  out.append(xmlEscape(focus_aor)).append("\" state=\"").append(state);
  out.append("\" version=\"").append(std::to_string(version)).append("\">");
  return out;
}

void appendUser(std::string& out, std::string_view aor, std::string_view state, bool connected) {
  out.append("<user entity=\"sip:").append(xmlEscape(aor)).append("\" state=\"");
  out.append(state).append("\">");
  if (connected) {
    out.append("<status>connected</status>");
  }
  out.append("</user>");
}

}  // namespace

std::string conferenceInfoFull(std::string_view focus_aor,
                               const std::vector<std::string>& participants, uint32_t version) {
  std::string out = documentStart(focus_aor, "full", version);
  out.append("<conference-state><user-count>")
      .append(std::to_string(participants.size()))
      .append("</user-count><active>true</active></conference-state><users>");
  for (const std::string& p : participants) {
    appendUser(out, p, "full", true);
  }
  out.append("</users></conference-info>\r\n");
  return out;
}

std::string conferenceInfoPartial(std::string_view focus_aor, std::string_view user_aor,
                                  bool joined, uint32_t version) {
  std::string out = documentStart(focus_aor, "partial", version);
  out.append("<users>");
  appendUser(out, user_aor, joined ? "full" : "deleted", joined);
  out.append("</users></conference-info>\r\n");
  return out;
}

std::string buildConferenceNotify(const ConferenceSubscription& s, std::string_view state,
                                  std::string_view body, std::string_view user_agent) {
  const ConferenceDialog& d = s.dialog;
  std::string out;
  out.reserve(512 + body.size());
  proxy::sip::appendDialogRequestHead(
      out, {"NOTIFY", d.remote_target, d.route_set, d.local_uri, d.local_tag, d.remote_uri,
            d.remote_tag, d.call_id, d.local_cseq, d.local_contact});
  out.append("Event: ").append(kConferenceEvent);
  if (!s.event_id.empty()) {
    out.append(";id=").append(s.event_id);
  }
  out.append("\r\nSubscription-State: ").append(state).append("\r\n");
  out.append("User-Agent: ").append(user_agent).append("\r\n");
  if (!body.empty()) {
    out.append("Content-Type: ").append(kConferenceInfoType).append("\r\n");
  }
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
  out.append(body);
  return out;
}

}  // namespace core::im
