// SPDX-License-Identifier: Apache-2.0
// The multiparty conversation focus (3+ participants). A conversation has a
// URI of ours, sip:im-conf-<id>@<domain>, and lives on the shard that owns
// that AOR. Writing to it (page-mode MESSAGE; OCS clients through the bridge)
// joins it and fans the message out to every other participant, each in its
// own dialect; REFER with Refer-To adds someone (RFC 4579 §5.5 style) and,
// with `;method=BYE` in the Refer-To URI, removes them. Joins and leaves go
// to every participant: an RFC 4575 conference-info roster for standard
// clients, a text notice for session-mode ones. One instance per shard.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core-server/im/conversation.h"
#include "core-server/im/stages/page_message.h"

namespace core::im {

inline constexpr std::string_view kFocusPrefix = "im-conf-";

// True for "im-conf-<id>@host".
bool isFocusAor(std::string_view aor);

class Focus {
 public:
  // Delivers a page to a local user (ImService::deliver).
  using Relay = std::function<void(PageMessage message, bool store_if_offline, StatusCallback)>;
  using IsKnownUser = std::function<bool(std::string_view aor)>;

  Focus(Relay relay, IsKnownUser known, size_t max_participants)
      : relay_(std::move(relay)), known_(std::move(known)), max_participants_(max_participants) {}

  // A message from `sender_aor` to the conversation; returns the sender's status.
  int onMessage(const std::string& focus_aor, const std::string& sender_aor,
                std::string content_type, std::string body);
  // REFER from `sender_aor`: adds (or removes) the Refer-To user; returns the status.
  int onRefer(const std::string& focus_aor, const std::string& sender_aor,
              std::string_view refer_to);
  // A participant left (its session with the focus ended).
  void onLeft(const std::string& focus_aor, const std::string& aor);

  const Conversation* find(std::string_view focus_aor) const;
  size_t conversations() const { return conversations_.size(); }

 private:
  Conversation& getOrCreate(const std::string& focus_aor);
  void announce(const Conversation& c, std::string_view aor, bool joined);

  Relay relay_;
  IsKnownUser known_;
  size_t max_participants_;
  std::unordered_map<std::string, Conversation> conversations_;
};

}  // namespace core::im
