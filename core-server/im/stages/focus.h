// SPDX-License-Identifier: Apache-2.0
// The multiparty conversation focus (3+ participants). A conversation has a
// URI of ours, sip:im-conf-<id>@<domain>, and lives on the shard that owns
// that AOR. Writing to it (page-mode MESSAGE; OCS clients through the bridge)
// joins it and fans the message out to every other participant, each in its
// own dialect; REFER with Refer-To adds someone (RFC 4579 §5.5 style) and,
// with `;method=BYE` in the Refer-To URI, removes them. Joins and leaves go
// to every participant: an RFC 4575 conference-info roster for standard
// clients; session-mode ones get each copy tagged with a MeshEvent, so that the
// mesh (stages/mesh.h) shows them a chat with its members (or, in notice mode,
// a text notice). Participants may also
// SUBSCRIBE to the conversation (Event: conference, RFC 4575): a full
// conference-info NOTIFY first, a partial one per join and leave, and a
// terminated one when they leave, the subscription expires or the last
// participant leaves (the conversation ends). One instance per shard.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core-server/im/conference_subscriptions.h"
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

  // Sends a NOTIFY text over the flow named by `flow_token` (or by its
  // Request-URI); `done` gets the final status, on this shard.
  using NotifySender =
      std::function<void(std::string request, std::string flow_token, StatusCallback done)>;

  Focus(Relay relay, IsKnownUser known, size_t max_participants)
      : relay_(std::move(relay)),
        known_(std::move(known)),
        max_participants_(max_participants),
        alive_(std::make_shared<Focus*>(this)) {}
  ~Focus() { *alive_ = nullptr; }
  Focus(const Focus&) = delete;
  Focus& operator=(const Focus&) = delete;

  void setNotifySender(NotifySender sender, std::string user_agent) {
    notify_sender_ = std::move(sender);
    user_agent_ = std::move(user_agent);
  }

  // A message from `sender_aor` to the conversation; returns the sender's status.
  int onMessage(const std::string& focus_aor, const std::string& sender_aor,
                std::string content_type, std::string body);
  // REFER from `sender_aor`: adds (or removes) the Refer-To user; returns the status.
  int onRefer(const std::string& focus_aor, const std::string& sender_aor,
              std::string_view refer_to);
  // A participant left (its session with the focus ended).
  void onLeft(const std::string& focus_aor, const std::string& aor);

  // Conference event subscriptions (RFC 4575, RFC 6665 §4.2.1).
  static constexpr uint32_t kDefaultExpires = 3600;
  static constexpr uint32_t kMinExpires = 60;
  struct SubscribeResult {
    int status = 0;  // 200, or 403 (not a participant), 423 (too brief)
    uint64_t id = 0;
    uint32_t expires = 0;  // granted
  };
  // A new subscription by `s.watcher_aor` in the dialog `s.dialog` (local tag
  // set here). `expires` is the request's (nullopt: the default).
  SubscribeResult subscribe(ConferenceSubscription s, std::optional<uint32_t> expires,
                            int64_t now_ms);
  // A refresh (or, with expires 0, the end) of subscription `id`.
  SubscribeResult refresh(uint64_t id, std::optional<uint32_t> expires, uint32_t cseq,
                          int64_t now_ms);
  // The NOTIFY owed after the 2xx to a SUBSCRIBE: the full roster, or the
  // terminated state when that SUBSCRIBE ended the subscription.
  void notifyAfterSubscribe(uint64_t id, int64_t now_ms);
  // Ends the subscriptions past their deadline (terminated;reason=timeout).
  void expireSubscriptions(int64_t now_ms);
  ConferenceSubscriptions& subscriptions() { return subscriptions_; }

  const Conversation* find(std::string_view focus_aor) const;
  size_t conversations() const { return conversations_.size(); }

 private:
  Conversation& getOrCreate(const std::string& focus_aor);
  void announce(const Conversation& c, std::string_view aor, bool joined);
  // Someone left `c`: announce it, end their subscriptions, and end the
  // conversation (and every subscription to it) once nobody is left.
  void departed(const std::string& focus_aor, const std::string& aor);
  // Sends `s` a NOTIFY with `state` and `body` (the next CSeq).
  void sendNotify(ConferenceSubscription& s, std::string_view state, std::string_view body);
  // Sends the terminated NOTIFY and forgets the subscription.
  void terminate(uint64_t id, std::string_view reason);
  static int64_t nowMs();

  Relay relay_;
  IsKnownUser known_;
  size_t max_participants_;
  std::unordered_map<std::string, Conversation> conversations_;
  ConferenceSubscriptions subscriptions_;
  NotifySender notify_sender_;
  std::string user_agent_ = "confab";
  std::shared_ptr<Focus*> alive_;  // for NOTIFY results that arrive after us
};

}  // namespace core::im
