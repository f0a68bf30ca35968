// SPDX-License-Identifier: Apache-2.0
// Subscriptions to the conference event package (RFC 4575) of the multiparty
// conversations held by the focus: who watches which conversation, the dialog
// each subscription lives in (we are the notifier, the UAS of the SUBSCRIBE),
// its deadline and its conference-info version counter; plus the documents
// and NOTIFY texts sent to the watchers. Pure state, one instance per shard
// (inside the Focus); the SIP side is core-server/im/stages/conference_*.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace core::im {

inline constexpr std::string_view kConferenceEvent = "conference";

struct ConferenceDialog {
  std::string call_id;
  std::string local_tag;               // ours: the To tag of our 2xx
  std::string remote_tag;              // the watcher's From tag
  std::string local_uri;               // the focus URI: From of our NOTIFYs
  std::string remote_uri;              // the watcher URI: To of our NOTIFYs
  std::string remote_target;           // the watcher's Contact URI
  std::vector<std::string> route_set;  // the SUBSCRIBE's Record-Route values
  std::string local_contact;           // "<sip:im-conf-...@host;transport=..;sh=N>"
  std::string flow_token;              // the flow the SUBSCRIBE came in on
  uint32_t local_cseq = 0;             // CSeq of the last NOTIFY sent
  uint32_t remote_cseq = 0;            // CSeq of the last SUBSCRIBE accepted
};

struct ConferenceSubscription {
  uint64_t id = 0;
  std::string focus_aor;
  std::string watcher_aor;
  std::string event_id;  // Event ;id=, "" if none
  ConferenceDialog dialog;
  int64_t expires_ms = 0;  // monotonic deadline
  uint32_t version = 0;    // conference-info version of the last document sent
};

class ConferenceSubscriptions {
 public:
  // Stores `s` under a fresh id; returns it.
  ConferenceSubscription& add(ConferenceSubscription s);
  ConferenceSubscription* find(uint64_t id);
  ConferenceSubscription* findDialog(std::string_view call_id, std::string_view local_tag,
                                     std::string_view remote_tag);
  bool remove(uint64_t id);
  // The ids watching `focus_aor`, oldest first.
  std::vector<uint64_t> watchersOf(std::string_view focus_aor) const;
  // The ids whose deadline is at or before `now_ms`.
  std::vector<uint64_t> expired(int64_t now_ms) const;
  size_t size() const { return by_id_.size(); }

 private:
  static std::string key(std::string_view call_id, std::string_view local_tag,
                         std::string_view remote_tag);

  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, ConferenceSubscription> by_id_;
  std::unordered_map<std::string, uint64_t> by_dialog_;
};

// RFC 4575 §5 documents. A full one lists every participant; a partial one
// (§4.6) carries one user, added (joined) or with state="deleted" (left).
std::string conferenceInfoFull(std::string_view focus_aor,
                               const std::vector<std::string>& participants, uint32_t version);
std::string conferenceInfoPartial(std::string_view focus_aor, std::string_view user_aor,
                                  bool joined, uint32_t version);

// The NOTIFY text (no Via: the transaction layer adds it) for `s` with CSeq
// `s.dialog.local_cseq`. `state` is the Subscription-State value
// ("active;expires=600", "terminated;reason=noresource"); no body when empty.
std::string buildConferenceNotify(const ConferenceSubscription& s, std::string_view state,
                                  std::string_view body, std::string_view user_agent);

}  // namespace core::im
