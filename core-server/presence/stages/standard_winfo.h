// SPDX-License-Identifier: Apache-2.0
// presence.winfo for standard clients (RFC 3857, body RFC 3858
// application/watcherinfo+xml): a presentity subscribes to the watchers of its
// own presence and gets the full list first (and after every refresh), then a
// partial document per change the PresenceService reports (a watcher came,
// became active after a rule allowed it, or left). The stage checks that only
// the presentity itself subscribes; this class holds those dialogs, which live
// on the shard that owns the presentity (the SUBSCRIBE's Request-URI is the
// presentity), as its presence does. Persisted (RecordKind::Winfo, one record per
// dialog, through the service's store): after a restart a refresh gets 200 and
// the subscriber gets the full list again at the first tick. Shard-thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core-server/presence/roaming/watcherinfo.h"
#include "core-server/presence/service/presence_service.h"
#include "core-server/presence/stages/held_subscriptions.h"
#include "proxy/base/clock.h"

namespace core::presence {

class StandardWinfo {
 public:
  static constexpr std::string_view kEvent = "presence.winfo";
  static constexpr std::string_view kContentType = "application/watcherinfo+xml";
  // Winfo subscriptions one presentity may hold (its devices); more get 403.
  static constexpr size_t kMaxPerPresentity = 16;

  // NOTIFYs go to `sink` (a SipNotifier not attached to a service: nothing
  // waits for their responses). `service` must hand its WatcherChanges to
  // onWatcherChange().
  StandardWinfo(PresenceService& service, NotifySink& sink, const proxy::Clock& clock);

  // A new winfo subscription of `presentity` to itself: 200 (then call
  // sendOwedNotify), 423, 403, 482. Expires 0 is a fetch: one NOTIFY, terminated.
  SubscribeResult subscribe(std::string presentity, std::string event_id, DialogState dialog,
                            std::optional<uint32_t> expires);
  std::optional<SubscriptionId> findDialog(std::string_view call_id, std::string_view local_tag,
                                           std::string_view remote_tag) const;
  // In-dialog SUBSCRIBE: refresh (full state again) or unsubscribe (expires 0).
  SubscribeResult refresh(SubscriptionId id, std::optional<uint32_t> expires, uint32_t remote_cseq,
                          std::string remote_target, std::string flow_token);
  void sendOwedNotify(SubscriptionId id);

  // PresenceService::setWatcherListener: partial NOTIFYs to the presentity's winfo subscribers.
  void onWatcherChange(const WatcherChange& change);
  // Ends expired subscriptions (terminated;reason=timeout) and sends restored ones their
  // full state. Call when nextDeadlineMs() is due (and about once a second as a backstop).
  void expire();
  // The earliest expiry (monotonic ms); nullopt when there is none.
  std::optional<int64_t> nextDeadlineMs() const;
  // Start-up: the Winfo records of the presentities `owns` says are this shard's.
  void load(const std::vector<PresenceRecord>& records,
            const std::function<bool(std::string_view aor)>& owns);

  size_t size() const { return dialogs_.size(); }
  const DialogState* dialog(SubscriptionId id) const {
    auto it = dialogs_.find(id);
    return it == dialogs_.end() ? nullptr : &it->second.dialog;
  }

 private:
  struct Dialog : HeldSubscription {
    std::string presentity;
    roaming::WatcherInfoVersion version;
    bool restored = false;  // owes its full state since the restart
  };

  roaming::Watcher watcherOf(const WatcherInfo& info, roaming::WatcherEvent event) const;
  std::string fullDocument(Dialog& d);
  void send(Dialog& d, std::string body);
  void remove(SubscriptionId id);
  void persist(Dialog& d);

  PresenceService& service_;
  NotifySink& sink_;
  const proxy::Clock& clock_;
  std::unordered_map<SubscriptionId, Dialog> dialogs_;
  DialogIndex index_;
  // The event that last changed each watcher subscription (RFC 3858 event attribute).
  std::unordered_map<SubscriptionId, roaming::WatcherEvent> last_event_;
  SubscriptionId next_id_ = 1;
};

// "timeout" -> WatcherEvent::Timeout; unknown names -> Giveup.
roaming::WatcherEvent winfoEventOf(std::string_view name);

}  // namespace core::presence
