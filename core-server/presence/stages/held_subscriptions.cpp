// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/stages/held_subscriptions.h"

#include <algorithm>
#include <utility>

#include "core-server/presence/service/dialog_json.h"
#include "proxy/base/random.h"

namespace core::presence {

SubscribeResult subscribeRefusal(int status, std::string reason) {
  SubscribeResult result;
  result.status = status;
  result.reason = std::move(reason);
  return result;
}

std::optional<uint32_t> grantExpires(const PresenceOptions& o, std::optional<uint32_t> asked) {
  uint32_t seconds = asked.value_or(o.subscribe_default_expires);
  if (seconds != 0 && seconds < o.subscribe_min_expires) {
    return std::nullopt;
  }
  return std::min(seconds, o.subscribe_max_expires);
}

SubscribeResult intervalTooBrief(const PresenceOptions& o) {
  SubscribeResult result = subscribeRefusal(423, "Interval Too Brief");
  result.min_expires = o.subscribe_min_expires;
  return result;
}

SubscribeResult subscribeAccepted(SubscriptionId id, std::string local_tag, uint32_t seconds) {
  SubscribeResult result;
  result.id = id;
  result.local_tag = std::move(local_tag);
  result.expires = seconds;
  return result;
}

void HeldSubscription::start(uint32_t seconds, int64_t now_ms, int64_t now_unix) {
  expires_ms = now_ms + int64_t{seconds} * 1000;
  expires_at_unix = now_unix + int64_t{seconds};
  owed = true;
  terminating = seconds == 0;
}

NotifyMessage HeldSubscription::nextNotify(std::string_view event, int64_t now_ms) {
  NotifyMessage m;
  m.id = id;
  ++dialog.local_cseq;
  m.dialog = &dialog;
  m.event = event;
  m.event_id = event_id;
  if (terminating) {
    m.subscription_state = "terminated;reason=timeout";
  } else {
    const int64_t left_ms = std::max<int64_t>(0, expires_ms - now_ms);
    m.subscription_state = "active;expires=" + std::to_string((left_ms + 999) / 1000);
  }
  return m;
}

nlohmann::json heldToJson(HeldSubscription& held) {
  if (held.cseqBoundReached()) {
    held.cseq_reserved = held.dialog.local_cseq + kCseqReserve;
  }
  nlohmann::json value = dialogToJson(held.dialog, held.cseq_reserved);
  value["event_id"] = held.event_id;
  return value;
}

bool heldFromJson(const nlohmann::json& j, int64_t expires_at_unix, int64_t now_ms,
                  int64_t now_unix, HeldSubscription& held) {
  std::optional<DialogState> dialog = dialogFromJson(j);
  if (!dialog || expires_at_unix <= now_unix) {
    return false;
  }
  held.dialog = std::move(*dialog);
  held.cseq_reserved = held.dialog.local_cseq;  // every CSeq used is below the stored bound
  held.event_id = jsonText(j, "event_id");
  held.expires_at_unix = expires_at_unix;
  held.expires_ms = now_ms + (expires_at_unix - now_unix) * 1000;
  held.owed = false;
  held.terminating = false;
  held.stored = true;
  return true;
}

void saveHeld(PresenceStateStore* store, RecordKind kind, const std::string& aor,
              HeldSubscription& held, const nlohmann::json& value) {
  if (store == nullptr || held.terminating) {
    return;
  }
  saveDialogRecord(store, kind, held.dialog, aor, value, held.expires_at_unix);
  held.stored = true;
}

void eraseHeld(PresenceStateStore* store, RecordKind kind, HeldSubscription& held) {
  if (held.stored) {
    eraseDialogRecord(store, kind, held.dialog);
  }
  held.stored = false;
}

SubscribeResult refreshHeld(HeldSubscription* held, const PresenceOptions& o,
                            std::optional<uint32_t> expires, uint32_t remote_cseq,
                            std::string remote_target, std::string flow_token, int64_t now_ms,
                            int64_t now_unix) {
  if (held == nullptr || held->terminating) {
    return subscribeRefusal(481, "Subscription Does Not Exist");
  }
  auto seconds = grantExpires(o, expires);
  if (!seconds) {
    return intervalTooBrief(o);
  }
  DialogState& dialog = held->dialog;
  dialog.remote_cseq = remote_cseq;
  if (!remote_target.empty()) {
    dialog.remote_target = std::move(remote_target);
  }
  if (!flow_token.empty()) {
    dialog.flow_token = std::move(flow_token);
  }
  held->start(*seconds, now_ms, now_unix);
  return subscribeAccepted(held->id, dialog.local_tag, *seconds);
}

bool DialogIndex::add(DialogState& dialog, SubscriptionId id) {
  if (dialog.local_tag.empty()) {
    dialog.local_tag = proxy::randomToken(12);
  }
  return by_key_.emplace(dialogKey(dialog), id).second;
}

std::optional<SubscriptionId> DialogIndex::find(std::string_view call_id,
                                                std::string_view local_tag,
                                                std::string_view remote_tag) const {
  auto it = by_key_.find(dialogKey(call_id, local_tag, remote_tag));
  if (it == by_key_.end()) {
    return std::nullopt;
  }
  return it->second;
}

void DialogIndex::erase(const DialogState& dialog) { by_key_.erase(dialogKey(dialog)); }

}  // namespace core::presence
