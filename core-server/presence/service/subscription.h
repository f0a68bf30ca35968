// SPDX-License-Identifier: Apache-2.0
// One watcher's subscription to one presentity (RFC 6665): the dialog it lives
// in, as the notifier (we are the UAS of the SUBSCRIBE) keeps it, and the
// rate-control state of its NOTIFYs. Owned by the PresenceService of the shard
// that owns the presentity.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core-server/presence/service/authorization.h"
#include "core-server/presence/service/renderer.h"

namespace core::presence {

using SubscriptionId = uint64_t;

// The dialog state needed to send NOTIFYs, also after a restart.
struct DialogState {
  std::string call_id;
  std::string local_tag;               // ours (the To tag of the SUBSCRIBE's response)
  std::string remote_tag;              // the watcher's From tag
  std::string local_uri;               // the presentity URI: the From of our NOTIFYs
  std::string remote_uri;              // the watcher URI: the To of our NOTIFYs
  std::string remote_target;           // the watcher's Contact URI: our Request-URI
  std::vector<std::string> route_set;  // the SUBSCRIBE's Record-Route values, in order
  std::string local_contact;           // our Contact header value, "<sip:...;sh=N>"
  std::string flow_token;              // transport::Flow::token() the SUBSCRIBE came in on
  uint32_t local_cseq = 0;             // CSeq of the last NOTIFY we sent
  uint32_t remote_cseq = 0;            // CSeq of the last SUBSCRIBE we accepted

  bool operator==(const DialogState&) const = default;
};

// Call-ID + both tags: how in-dialog requests find their subscription.
std::string dialogKey(std::string_view call_id, std::string_view local_tag,
                      std::string_view remote_tag);
inline std::string dialogKey(const DialogState& d) {
  return dialogKey(d.call_id, d.local_tag, d.remote_tag);
}

enum class SubscriptionStatus : uint8_t { Pending, Active };

struct Subscription {
  SubscriptionId id = 0;
  std::string presentity;  // canonical AOR
  std::string watcher;     // canonical AOR
  std::string event = "presence";
  std::string event_id;   // Event ;id= parameter, "" if none
  int format = 0;         // RendererRegistry index
  bool benotify = false;  // later NOTIFYs go as BENOTIFY (no response expected)
  DialogState dialog;
  Decision decision = Decision::Allow;
  int64_t expires_ms = 0;       // monotonic deadline
  int64_t expires_at_unix = 0;  // the same, for persistence
  uint32_t cseq_reserved = 0;   // persisted CSeq bound; see PresenceService::reserveCseq

  // NOTIFY rate control.
  bool owed = false;         // a NOTIFY the protocol requires (subscribe, refresh, rule change)
  bool dirty = false;        // state changed since the last NOTIFY
  bool in_flight = false;    // a NOTIFY awaits its final response
  bool terminating = false;  // the next NOTIFY says terminated and removes it
  std::string terminate_reason;
  int64_t last_notify_ms = -1;
  int64_t notify_due_ms = 0;  // when a coalesced NOTIFY is scheduled (0 = none)
  uint64_t sent_sequence = 0;
  ViewId sent_view = kViewFull;

  SubscriptionStatus status() const {
    return decision == Decision::Confirm ? SubscriptionStatus::Pending : SubscriptionStatus::Active;
  }
};

}  // namespace core::presence
