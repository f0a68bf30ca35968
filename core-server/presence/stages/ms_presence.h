// SPDX-License-Identifier: Apache-2.0
// The OCS/Lync dialect of presence on one shard (PROTOCOLS.md (b), SIGNIN.md
// section 3): the self subscriptions a signing-in client makes
// (vnd-microsoft-roaming-contacts, -roaming-self, -provisioning-v2,
// presence.wpending), SERVICE to the user's own URI (category publications,
// contact-list SOAP, container members, subscriber acknowledgements) and the
// batched category SUBSCRIBE (msrtc-adrl-categorylist).
//
// Category publications feed the shard's PresenceService (setSource /
// editUserLevel), so standard watchers get them as PIDF and MS watchers of any
// user get the msrtc categories renderer's output; containers become that
// service's authorization rules.
//
// A batch lives on the subscriber's shard (its To is the subscriber), but each
// resource's subscription must live on the shard that owns the resource: the
// batch posts one subscribe per resource to the owner (Shard::post; a direct
// call when the owner is this shard), the owner's PresenceService sends the
// resource's NOTIFY/BENOTIFYs in the batch's dialog, and the owner posts the
// subscription id back so that refreshes and the un-SUBSCRIBE reach it.
//
// Self dialogs and batches are persisted (RecordKind::MsSelf / MsBatch, one record
// per dialog; ms_presence_persistence.cpp): after a restart a refresh gets 200, the
// self dialogs get their NOTIFYs again, and a batch's refresh reaches its resources'
// restored subscriptions by their dialogs (the batch stores each one's From tag).
// Shard-thread only.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core-server/presence/roaming/contact_list.h"
#include "core-server/presence/roaming/roaming_self.h"
#include "core-server/presence/service/presence_service.h"
#include "core-server/presence/stages/ms_account.h"
#include "core-server/presence/stages/sip_notifier.h"
#include "proxy/routing/shard_router.h"
#include "proxy/uv/timer.h"

namespace core::presence {

struct MsOptions {
  // The persistent-chat pool URI in provisioning-v2; "" = sip:ocschat@<domain>.
  std::string persistent_chat_pool_uri;
  XmlLimits xml;
  roaming::ContactListLimits contacts;
  // Runs a task on another shard through something that outlives every service
  // (the server's shard set); unset (tests): through the peer's router.
  std::function<void(unsigned shard, std::function<void()> task)> post_to_shard;
};

class MsPresence {
 public:
  // `peers` holds every shard's MsPresence by shard id; complete before traffic.
  MsPresence(proxy::routing::ShardRouter& router, PresenceService& presence,
             const proxy::Clock& clock, MsOptions options, const std::vector<MsPresence*>& peers,
             PresenceStateStore* store = nullptr);
  ~MsPresence();
  MsPresence(const MsPresence&) = delete;
  MsPresence& operator=(const MsPresence&) = delete;

  // Start-up: the MsAccount, MsSelf and MsBatch records of the users this shard owns.
  void load(const std::vector<PresenceRecord>& records,
            const std::function<bool(std::string_view aor)>& owns);

  // ---- SIP (MsPresenceStage); each answers the request ----
  // SUBSCRIBE to self with one of the self events.
  void onSelfSubscribe(proxy::routing::RequestContext& ctx, const std::string& aor,
                       std::string_view user, std::string_view event);
  // SUBSCRIBE Event: presence to self with a batchSub body. Pause: the 200 waits
  // for the resources' first documents (ms-piggyback-first-notify: it carries
  // them as multipart/related with RLMI, full state).
  proxy::routing::Verdict onBatchSubscribe(proxy::routing::ContextPtr& ctx, const std::string& aor,
                                           std::string_view user);
  // In-dialog SUBSCRIBE: false when the dialog is not one of ours.
  bool onInDialogSubscribe(proxy::routing::RequestContext& ctx);
  // SERVICE to self.
  void onService(proxy::routing::RequestContext& ctx, const std::string& aor);

  // The registrar's bindings of `aor` changed.
  void registrationChanged(std::string_view aor, bool registered);
  // 1 s tick: held batch SUBSCRIBEs that waited too long; expiry as a backstop (self
  // subscriptions and batches end at their deadline through a timer of their own).
  void housekeeping();

  // The PresenceService view of `watcher` for `presentity` in `format`: for the
  // msrtc categories format, the container `watcher` belongs to in the presentity's
  // ACL (MS-PRES lookup order: user, domain, sameEnterprise, federated/publicCloud,
  // everyone), else kViewFull.
  ViewId viewFor(std::string_view presentity, std::string_view watcher, int format) const;

  size_t batchCount() const { return batches_.size(); }
  size_t selfDialogCount() const { return dialogs_.size(); }
  const MsAccount* account(std::string_view aor) const;
  // A contact-list edit from outside SIP (XCAP): `contacts` becomes aor's list (an
  // account is made when missing), persisted as a SOAP edit is, and `deltas` go to the
  // user's roaming-contacts subscribers.
  void replaceContacts(const std::string& aor, roaming::ContactList contacts,
                       const std::vector<roaming::ContactListDelta>& deltas);

 private:
  struct SelfDialog {
    std::string aor;
    std::string event;
    DialogState dialog;
    bool benotify = false;
    roaming::RoamingSelfSections sections;  // roaming-self
    int64_t expires_ms = 0;
    int64_t expires_at_unix = 0;  // the same moment, as stored
    uint32_t cseq_reserved = 0;   // the stored CSeq bound (dialog_json.h)
    bool stored = false;
  };
  struct BatchMember {
    std::string resource;
    unsigned shard = 0;
    SubscriptionId id = 0;  // 0 until the owner answered (or when it refused, or restored)
    std::string local_tag;  // its dialog's From tag: how a restored batch finds it
    bool answered = false;
    // The first document, while the 200 waits for it (piggy-backed batches).
    std::string content_type;
    std::shared_ptr<const std::string> body;
  };
  struct Batch {
    std::string aor;
    DialogState dialog;
    int format = 0;
    std::vector<BatchMember> members;
    int64_t expires_ms = 0;
    uint32_t expires_s = 0;
    int64_t expires_at_unix = 0;
    bool stored = false;
    // The SUBSCRIBE, held until every member answered (piggy-backed batches).
    proxy::routing::ContextPtr held;
    size_t waiting = 0;
    int64_t held_since_ms = 0;
  };
  // What a resource's owner reports back to the batch.
  struct MemberStart {
    std::string resource;
    unsigned shard = 0;
    SubscriptionId id = 0;
    std::string local_tag;
    std::string content_type;
    std::shared_ptr<const std::string> body;
  };

  MsAccount& accountOf(const std::string& aor);
  void persist(const std::string& aor);
  // Dialog records (ms_presence_persistence.cpp).
  void persistSelf(SelfDialog& d);
  void eraseSelf(SelfDialog& d);
  void persistBatch(Batch& b);
  void eraseBatch(Batch& b);
  void restoreSelf(const PresenceRecord& record);
  void restoreBatch(const PresenceRecord& record);
  // Expiry at the deadline: `key` (a self dialog or a batch) is looked at again at `at`.
  void scheduleExpiry(const std::string& key, int64_t at);
  // Ends the self dialogs and batches whose time is up (their records with them).
  void expireDue();
  // Re-folds the account into the presence service.
  void feedPresence(const std::string& aor);
  std::string roamingSelfBody(const std::string& aor, const roaming::RoamingSelfSections& s);
  void notifyDialogs(const std::string& aor, std::string_view event, std::string_view content_type,
                     const std::string& body);
  void sendNotify(SelfDialog& d, std::string_view content_type, const std::string& body);

  void servicePublish(proxy::routing::RequestContext& ctx, const std::string& aor);
  void serviceSoap(proxy::routing::RequestContext& ctx, const std::string& aor);
  void serviceContainers(proxy::routing::RequestContext& ctx, const std::string& aor);
  void serviceSubscribers(proxy::routing::RequestContext& ctx, const std::string& aor);

  // Runs `task` on shard `shard`: at once when that is this shard.
  void onShard(unsigned shard, std::function<void(MsPresence&)> task);
  // On the resource's owner shard.
  void startMember(std::string batch_key, unsigned home, std::string resource,
                   SubscribeRequest request, bool piggyback);
  // `id`, or (restored batches, which know no ids) the subscription of `dialog`.
  // A refresh names the flow it came over (and maybe a new target): the resources'
  // NOTIFYs follow the client to its new connection.
  void refreshMember(SubscriptionId id, std::optional<uint32_t> expires, uint32_t cseq,
                     const DialogState& dialog = {});
  // Back on the batch's shard.
  void memberStarted(const std::string& batch_key, MemberStart start);
  // The batch SUBSCRIBE's 200; `with_documents`: the RLMI list and the resources'
  // documents so far, as multipart/related (ms-piggyback-first-notify).
  void replyBatch(Batch& batch, proxy::routing::RequestContext& ctx, bool with_documents);
  void replyHeldBatch(Batch& batch);
  // Answers held batch SUBSCRIBEs whose owners took too long (housekeeping).
  void flushHeldBatches();

  proxy::routing::ShardRouter& router_;
  const proxy::Clock& clock_;
  PresenceService& presence_;
  MsOptions options_;
  const std::vector<MsPresence*>& peers_;
  PresenceStateStore* store_;
  SipNotifier notifier_;  // not attached: self NOTIFYs report to no service
  std::unordered_map<std::string, MsAccount> accounts_;
  std::unordered_map<std::string, std::set<std::string>> known_sources_;  // AOR -> fed source ids
  std::unordered_map<std::string, SelfDialog> dialogs_;  // dialogKey -> self subscription
  std::unordered_map<std::string, Batch> batches_;       // dialogKey -> batch
  // (deadline, dialogKey), earliest first; entries of refreshed or ended dialogs are
  // skipped when they come up.
  using Deadline = std::pair<int64_t, std::string>;
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;
  int64_t armed_at_ = INT64_MAX;
  std::unique_ptr<proxy::uv::Timer> expiry_timer_;  // last: stopped before the rest goes
};

}  // namespace core::presence
