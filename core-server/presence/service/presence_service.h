// SPDX-License-Identifier: Apache-2.0
// The presence service of one shard: the presentities whose AORs hash to this
// shard, their publications (RFC 3903), registration-derived state, watchers'
// subscriptions (RFC 6665 / RFC 3856), authorization rules and NOTIFY rate
// control. It speaks no SIP: the stage (core-server/presence/stages) hands it
// parsed requests and sends the NOTIFYs it asks for through a NotifySink.
//
// Time: deadlines (publication and subscription expiry, coalesced NOTIFYs) are
// monotonic milliseconds in one queue; runTimers() fires what is due and
// setWakeup() tells the owner when to call it next, so expiry is exact to the
// millisecond rather than to the 1 s housekeeping tick (a "busy" that outlives
// its Expires by up to a second is the stuck-state bug we are avoiding).
// Shard-thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core-server/presence/presence_model.h"
#include "core-server/presence/service/authorization.h"
#include "core-server/presence/service/presence_options.h"
#include "core-server/presence/service/renderer.h"
#include "core-server/presence/service/rule_records.h"
#include "core-server/presence/service/state_store.h"
#include "core-server/presence/service/subscription.h"
#include "proxy/base/clock.h"
#include "proxy/base/result.h"

namespace core::presence {

// One NOTIFY to send. The views are valid during NotifySink::sendNotify only.
struct NotifyMessage {
  SubscriptionId id = 0;
  const DialogState* dialog = nullptr;  // dialog->local_cseq is this NOTIFY's CSeq
  std::string_view event;               // "presence"
  std::string_view event_id;            // "" when the SUBSCRIBE had no id
  std::string subscription_state;       // "active;expires=599", "terminated;reason=timeout"
  std::string_view content_type;        // "" when there is no body
  // MS-SIPRE: send as BENOTIFY, which gets no response (the watcher said
  // Supported: ms-benotify); the first NOTIFY of a dialog is always a NOTIFY.
  bool benotify = false;
  std::shared_ptr<const std::string> body;  // shared by every watcher of the same view
};

class NotifySink {
 public:
  virtual ~NotifySink() = default;
  // Sends the NOTIFY and later reports its final response with
  // PresenceService::onNotifyResult(id, cseq, status) unless it terminates the
  // subscription (terminated NOTIFYs need no answer). Must not call back into
  // the service from inside this call.
  virtual void sendNotify(const NotifyMessage& message) = 0;
};

// A live registration binding, as the registrar knows it.
struct RegisteredContact {
  std::string contact;   // Contact URI
  std::string instance;  // +sip.instance, "" if none

  bool operator==(const RegisteredContact&) const = default;
};

// Reads one publication body into what that source says. Errors become the
// PUBLISH's 400 (their detail is the reason phrase).
using SourceParser =
    std::function<proxy::Result<EndpointPresence>(std::string_view body, const XmlLimits& limits)>;

struct PublishRequest {
  std::string presentity;  // canonical AOR, already authorized to publish
  std::string if_match;    // SIP-If-Match, "" when absent
  std::optional<uint32_t> expires;
  std::string_view content_type;  // "" when there is no body
  std::string_view body;
};

struct PublishResult {
  int status = 200;
  std::string reason;        // for errors: the reason phrase
  std::string etag;          // 2xx: SIP-ETag
  uint32_t expires = 0;      // 2xx: Expires
  uint32_t min_expires = 0;  // 423: Min-Expires
  std::string accept;        // 415: the publication formats we accept (Accept header)
};

struct SubscribeRequest {
  std::string presentity;  // canonical AORs
  std::string watcher;
  std::string event = "presence";
  std::string event_id;
  int format = 0;         // RendererRegistry index chosen from the Accept header
  bool benotify = false;  // the watcher supports ms-benotify
  std::optional<uint32_t> expires;
  DialogState dialog;  // local_tag is minted by the service when empty
};

struct SubscribeResult {
  int status = 200;  // 200, 202 (pending), 403, 423
  std::string reason;
  SubscriptionId id = 0;  // 2xx: call sendOwedNotify(id) once the response is sent
  std::string local_tag;  // 2xx: our To tag
  uint32_t expires = 0;
  uint32_t min_expires = 0;
};

// A watcher as the presentity's owner (or presence.winfo later) sees it.
struct WatcherInfo {
  SubscriptionId id = 0;
  std::string watcher;
  Decision decision = Decision::Allow;
  SubscriptionStatus status = SubscriptionStatus::Active;
  int64_t expires_at_unix = 0;
};

// A watcher's subscription came, changed status or ended (presence.winfo, RFC 3857).
struct WatcherChange {
  std::string_view presentity;
  const WatcherInfo& watcher;
  // RFC 3857 §3.2.4 event: "subscribe", "approved", "rejected", "timeout", "giveup", ...
  std::string_view event;
  bool terminated = false;  // the subscription is gone
};

struct PresenceStats {
  uint64_t renders = 0;            // bodies rendered (not per watcher)
  uint64_t notifies = 0;           // NOTIFYs handed to the sink
  uint64_t coalesced = 0;          // state changes folded into a later NOTIFY
  uint64_t dropped_by_notify = 0;  // subscriptions removed after a failed NOTIFY
  uint64_t publications_expired = 0;
  uint64_t subscriptions_expired = 0;
};

class PresenceService {
 public:
  // `store` may be null (no persistence). `clock`, `sink` and `store` must outlive the service.
  PresenceService(const proxy::Clock& clock, PresenceOptions options, NotifySink& sink,
                  PresenceStateStore* store = nullptr);
  ~PresenceService();
  PresenceService(const PresenceService&) = delete;
  PresenceService& operator=(const PresenceService&) = delete;

  // ---- Start-up ----
  // Takes the records whose presentity `owns` accepts; drops expired ones. Every
  // restored subscription gets a NOTIFY with the current state on the first
  // runTimers() (the state may have changed while we were down).
  void load(const std::vector<PresenceRecord>& records,
            const std::function<bool(std::string_view aor)>& owns);

  // ---- Inputs ----
  // The registrar's view of `aor` changed (LocationService::on_change).
  void setRegistrations(std::string_view aor, std::vector<RegisteredContact> contacts);
  // Where a presentity's registrations come from when it is first needed (a
  // SUBSCRIBE, a PUBLISH). Once set, setRegistrations() ignores AORs nobody
  // watches or publishes for: most registered users are never looked at, and
  // keeping presence for every one of them cost memory and time per REGISTER.
  using RegistrationSource = std::function<std::vector<RegisteredContact>(std::string_view aor)>;
  void setRegistrationSource(RegistrationSource source) {
    registration_source_ = std::move(source);
  }
  // True when the service keeps state for `aor` (setRegistrations is not ignored).
  bool tracks(std::string_view aor) const { return findPresentity(aor) != nullptr; }
  PublishResult publish(const PublishRequest& request);
  SubscribeResult subscribe(SubscribeRequest&& request);

  // Sources that are not a PUBLISH (an MS endpoint's categories, an API): adds or
  // replaces the source with endpoint.source_id; expires_s 0 = until removed.
  // When `body` is given it is persisted with `content_type` and read back at start
  // by the parser registered for that type (addPublicationFormat).
  void setSource(std::string_view aor, EndpointPresence endpoint, uint32_t expires_s,
                 std::string content_type = {}, std::string body = {});
  bool removeSource(std::string_view aor, std::string_view source_id);
  // User-level state (manual userState, personal / OOF notes, user-level MS
  // categories): `edit` changes those fields of the presentity's state, then the
  // presence is re-aggregated. Not persisted by the service.
  void editUserLevel(std::string_view aor, const std::function<void(PresentityState&)>& edit);
  // PUBLISH bodies we accept besides application/pidf+xml (built in).
  void addPublicationFormat(std::string content_type, SourceParser parser);

  // The subscription an in-dialog SUBSCRIBE belongs to (From tag = remote, To tag = local).
  std::optional<SubscriptionId> findDialog(std::string_view call_id, std::string_view local_tag,
                                           std::string_view remote_tag) const;
  // In-dialog SUBSCRIBE: refresh, or unsubscribe with expires 0. SUBSCRIBE is a
  // target refresh request (RFC 6665 §4.1.2.1): a non-empty `remote_target` (its
  // Contact) and `flow_token` (the flow it came in on: a client that reconnected
  // is reachable only over its new connection) replace the dialog's.
  SubscribeResult refresh(SubscriptionId id, std::optional<uint32_t> expires, uint32_t remote_cseq,
                          std::string remote_target = {}, std::string flow_token = {});
  // Sends the NOTIFY subscribe()/refresh() owe, at once (RFC 6665 §4.2.1.2); call
  // it after the 2xx went out so the watcher sees the response first.
  void sendOwedNotify(SubscriptionId id);
  // The owed first NOTIFY's content, taken instead of sending it: MS
  // ms-piggyback-first-notify puts it in the 2xx (or, for a batch, in the 2xx's
  // multipart/related body). The subscription then counts it as sent. nullopt
  // when nothing is owed (or the subscription is a fetch: it ends with a NOTIFY).
  struct OwedNotify {
    std::string subscription_state;  // "active;expires=N", "pending;expires=N"
    std::string_view content_type;   // "" when the watcher may not see state yet
    std::shared_ptr<const std::string> body;
    uint32_t cseq = 0;  // the CSeq that NOTIFY would have had (ms-piggyback-cseq)
  };
  std::optional<OwedNotify> takeOwedNotify(SubscriptionId id);
  // The final response to the NOTIFY with `cseq`: 481, 408 and 503 (also what the
  // transaction layer reports for a timeout or transport failure) drop the subscription.
  void onNotifyResult(SubscriptionId id, uint32_t cseq, int status);

  // ---- Views ----
  // Which view an allowed watcher gets in `format` (MS containers: the watcher's
  // access level as kViewContainerBase + id). Without a resolver: kViewFull.
  using ViewResolver =
      std::function<ViewId(std::string_view presentity, std::string_view watcher, int format)>;
  void setViewResolver(ViewResolver resolver) { view_resolver_ = std::move(resolver); }
  // The resolver's answers for `presentity` changed: watchers whose view differs
  // from what they were last sent get a NOTIFY.
  void viewsChanged(std::string_view presentity);

  // ---- Authorization rules (take effect at once on existing subscriptions) ----
  void setRule(std::string_view presentity, const WatcherRule& rule, bool persist = true);
  bool removeRule(std::string_view presentity, bool domain, std::string_view match);
  std::vector<WatcherRule> rules(std::string_view presentity) const;
  Decision decide(std::string_view presentity, std::string_view watcher) const;
  // Rule changes another process (confabctl) made in the store (diffRules() of two
  // snapshots, rule_records.h), for the presentities `owns` accepts: applied like
  // setRule / removeRule (at once on existing subscriptions) without writing back.
  void applyRuleChanges(const std::vector<RuleChange>& changes,
                        const std::function<bool(std::string_view aor)>& owns);

  // ---- Local watchers (in-process consumers: adapter plugins) ----
  // `callback` gets `aor`'s aggregated presence as watchers see it (watcherView)
  // at once and after every change, until removeLocalWatcher(aor, id). No rules
  // apply: the caller is trusted. A watched presentity is tracked (registrations
  // come from the registration source). The callback must not call back into the
  // service (it is called from inside recompute).
  using LocalWatcher = std::function<void(std::string_view aor, const Presence& presence)>;
  void addLocalWatcher(std::string_view aor, uint64_t id, LocalWatcher callback);
  bool removeLocalWatcher(std::string_view aor, uint64_t id);

  // ---- Watcher events (presence.winfo) ----
  // Called after a subscription to any presentity of this shard was added,
  // changed decision or was removed (fetches excluded). Must not change the service.
  using WatcherListener = std::function<void(const WatcherChange& change)>;
  void setWatcherListener(WatcherListener listener) { watcher_listener_ = std::move(listener); }

  // ---- Reading ----
  // The aggregated presence (owner's view, with its sequence), or nullptr if never seen.
  const Presence* presence(std::string_view aor) const;
  std::vector<WatcherInfo> watchers(std::string_view presentity) const;
  const Subscription* subscription(SubscriptionId id) const;
  size_t subscriptionCount() const { return subscriptions_.size(); }
  const PresenceStats& stats() const { return stats_; }
  RendererRegistry& renderers() { return renderers_; }
  const PresenceOptions& options() const { return options_; }
  // Where this shard persists (null: nowhere); the stages' own subscriptions use it too.
  PresenceStateStore* stateStore() const { return store_; }

  // ---- Time ----
  // Fires every due deadline (expiry, coalesced NOTIFYs).
  void runTimers();
  std::optional<int64_t> nextDeadlineMs() const;
  // Called whenever a deadline earlier than every pending one is armed.
  void setWakeup(std::function<void(int64_t deadline_ms)> wakeup) { wakeup_ = std::move(wakeup); }

 private:
  struct Publication {
    std::string etag;
    std::string content_type;
    std::string body;
    EndpointPresence endpoint;
    int64_t expires_ms = 0;
    int64_t expires_at_unix = 0;
    bool stored = false;   // the store has (or has queued) a record under this ETag
    bool unsaved = false;  // that record is older than this publication (or missing)
  };
  struct RenderKey {
    int format;
    ViewId view;
    auto operator<=>(const RenderKey&) const = default;
  };
  struct Presentity {
    std::string aor;
    std::map<std::string, Publication> publications;  // by ETag
    std::vector<RegisteredContact> registrations;
    PresentityState user_level;  // only its user-level fields are used
    bool ever_seen = false;
    Presence presence;
    RuleSet rules;
    std::set<SubscriptionId> watchers;
    std::map<RenderKey, std::shared_ptr<const std::string>> bodies;  // for presence.sequence
    std::map<uint64_t, LocalWatcher> local_watchers;                 // by the caller's id
    // Publication records written at most once per options_.publication_write_interval_ms.
    std::vector<std::string> stale_records;  // ETags whose records are to be erased
    int64_t last_write_ms = INT64_MIN / 2;
    bool write_armed = false;  // a PublicationWrite deadline is pending
    // The one live PublicationExpiry deadline (0: none): the earliest expiry of its
    // publications. One per presentity, not one per PUBLISH, so that a client
    // modifying in a loop does not pile up an hour's worth of deadlines.
    int64_t expiry_armed_ms = 0;
  };
  enum class TimerKind : uint8_t {
    PublicationExpiry,
    SubscriptionExpiry,
    NotifyDue,
    PublicationWrite
  };
  struct TimerItem {
    int64_t at;
    TimerKind kind;
    SubscriptionId id;  // subscriptions
    std::string etag;   // PublicationExpiry, PublicationWrite: the presentity's AOR
    bool operator>(const TimerItem& o) const { return at > o.at; }
  };

  Presentity& presentity(std::string_view aor);
  Presentity* findPresentity(std::string_view aor);
  const Presentity* findPresentity(std::string_view aor) const;
  void recompute(Presentity& p, bool notify_watchers = true);
  PublishResult addPublication(Presentity& p, const PublishRequest& request, uint32_t expires,
                               const std::string* replaces);
  void storePublication(Presentity& p, std::string etag, std::string content_type, std::string body,
                        EndpointPresence endpoint, uint32_t expires);
  const SourceParser* parserFor(std::string_view content_type) const;
  void removePublication(Presentity& p, const std::string& etag);
  void armPublicationExpiry(Presentity& p, int64_t at);
  void expirePublications(Presentity& p, int64_t now);
  std::shared_ptr<const std::string> body(Presentity& p, int format, ViewId view);
  uint32_t clampExpires(std::optional<uint32_t> asked, uint32_t min, uint32_t max,
                        uint32_t fallback, bool& too_brief) const;

  Subscription* findSubscription(SubscriptionId id);
  void setSubscriptionExpiry(Subscription& s, uint32_t seconds);
  void markDirty(Subscription& s);
  void schedule(Subscription& s);
  void sendNotify(Subscription& s);
  void terminate(Subscription& s, std::string reason);
  void removeSubscription(SubscriptionId id);
  void reevaluate(Presentity& p);
  ViewId viewFor(const Subscription& s) const;
  void announceWatcher(const Subscription& s, std::string_view event, bool terminated);

  void persistPublication(const Presentity& p, const Publication& pub);
  // Brings the store up to date with p's publications now, or once the write
  // interval since the last write is over (rapid modifies coalesce into one write).
  void syncPublications(Presentity& p);
  void writePublications(Presentity& p);
  void persistSubscription(Subscription& s);  // also moves the reserved CSeq bound
  void persistRule(std::string_view presentity, const WatcherRule& rule);
  void restorePublication(const PresenceRecord& record);
  void restoreSubscription(const PresenceRecord& record);
  void restoreRule(const PresenceRecord& record);

  void arm(TimerItem item);
  int64_t nowMs() const { return clock_.monotonicMs(); }

  const proxy::Clock& clock_;
  PresenceOptions options_;
  NotifySink& sink_;
  PresenceStateStore* store_;
  RendererRegistry renderers_;
  std::vector<std::pair<std::string, SourceParser>> parsers_;  // by content type
  std::function<void(int64_t)> wakeup_;
  ViewResolver view_resolver_;
  WatcherListener watcher_listener_;

  std::unordered_map<std::string, std::unique_ptr<Presentity>> presentities_;
  RegistrationSource registration_source_;
  std::unordered_map<std::string, std::string> etags_;  // ETag -> presentity AOR
  std::unordered_map<SubscriptionId, std::unique_ptr<Subscription>> subscriptions_;
  std::unordered_map<std::string, SubscriptionId> dialogs_;  // dialogKey -> id
  std::unordered_map<std::string, uint32_t> per_watcher_;    // watcher AOR -> subscriptions
  std::priority_queue<TimerItem, std::vector<TimerItem>, std::greater<>> timers_;
  SubscriptionId next_id_ = 1;
  PresenceStats stats_;
};

}  // namespace core::presence
