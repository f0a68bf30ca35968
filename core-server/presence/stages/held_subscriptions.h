// SPDX-License-Identifier: Apache-2.0
// What the subscriptions the presence stage holds itself (StandardWinfo,
// StandardEventList) have in common, beside their documents: the expiry
// bounds of the PresenceService, the answers, dialog lookup by Call-ID and
// tags, refreshes, the Subscription-State of their NOTIFYs and their stored
// form (a PresenceRecord per dialog, so they survive a restart). Shard-thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core-server/presence/service/presence_service.h"

namespace core::presence {

SubscribeResult subscribeRefusal(int status, std::string reason);
// The granted duration (the PresenceService's bounds); nullopt when too brief.
std::optional<uint32_t> grantExpires(const PresenceOptions& o, std::optional<uint32_t> asked);
// 423 with the Min-Expires to use.
SubscribeResult intervalTooBrief(const PresenceOptions& o);
SubscribeResult subscribeAccepted(SubscriptionId id, std::string local_tag, uint32_t seconds);

// What every held subscription has: its dialog and lifetime.
struct HeldSubscription {
  SubscriptionId id = 0;
  std::string event_id;
  DialogState dialog;
  int64_t expires_ms = 0;
  int64_t expires_at_unix = 0;  // the same moment, as stored
  uint32_t cseq_reserved = 0;   // the stored CSeq bound (dialog_json.h)
  bool owed = false;            // a full-state NOTIFY (after SUBSCRIBE or refresh)
  bool terminating = false;
  bool stored = false;  // has a record to erase when it ends

  // (Re)starts it for `seconds` and owes the full state: a new subscriber gets it first, a
  // refreshing one gets it again (how it resynchronises). 0 seconds: the one NOTIFY ends it.
  void start(uint32_t seconds, int64_t now_ms, int64_t now_unix);
  // The next NOTIFY's dialog part (bumps the CSeq); the caller adds the body.
  NotifyMessage nextNotify(std::string_view event, int64_t now_ms);
  // The last NOTIFY used the stored CSeq bound up: store it again.
  bool cseqBoundReached() const { return dialog.local_cseq >= cseq_reserved; }
};

// The stored form of `held` (its dialog and event id; the caller adds its own fields and
// stores it with expires_at_unix); moves the stored CSeq bound ahead.
nlohmann::json heldToJson(HeldSubscription& held);
// Restores what heldToJson wrote into `held` (id left alone), expiring at `expires_at_unix`
// on both clocks. False when the record is unusable.
bool heldFromJson(const nlohmann::json& j, int64_t expires_at_unix, int64_t now_ms,
                  int64_t now_unix, HeldSubscription& held);
// Saves `value` as the record of `held`'s dialog (no store, or ending: nothing).
void saveHeld(PresenceStateStore* store, RecordKind kind, const std::string& aor,
              HeldSubscription& held, const nlohmann::json& value);
// Erases its record, if it has one.
void eraseHeld(PresenceStateStore* store, RecordKind kind, HeldSubscription& held);

// An in-dialog SUBSCRIBE of `held` (null: unknown): 481, 423 or 200 after renewing its
// dialog (new CSeq; target and flow when it names them) and lifetime.
SubscribeResult refreshHeld(HeldSubscription* held, const PresenceOptions& o,
                            std::optional<uint32_t> expires, uint32_t remote_cseq,
                            std::string remote_target, std::string flow_token, int64_t now_ms,
                            int64_t now_unix);

// The ids of `subscriptions` (id -> HeldSubscription) whose time is up.
template <class Map>
std::vector<SubscriptionId> expiredIds(const Map& subscriptions, int64_t now_ms) {
  std::vector<SubscriptionId> due;
  for (const auto& [id, held] : subscriptions) {
    if (held.expires_ms <= now_ms) {
      due.push_back(id);
    }
  }
  return due;
}

// Call-ID + both tags -> subscription, for in-dialog requests.
class DialogIndex {
 public:
  // Gives `dialog` a local tag when it has none; false when its dialog is already known.
  bool add(DialogState& dialog, SubscriptionId id);
  bool contains(const DialogState& dialog) const {
    return by_key_.count(dialogKey(dialog)) != 0;
  }
  std::optional<SubscriptionId> find(std::string_view call_id, std::string_view local_tag,
                                     std::string_view remote_tag) const;
  void erase(const DialogState& dialog);

 private:
  std::unordered_map<std::string, SubscriptionId> by_key_;  // dialogKey -> id
};

}  // namespace core::presence
