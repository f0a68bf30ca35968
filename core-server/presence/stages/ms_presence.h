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
// Shard-thread only.
#pragma once

#include <functional>
#include <memory>
#include <optional>
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

  // Start-up: the MsAccount records of the users this shard owns.
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
  // 1 s tick: expires self subscriptions and batches.
  void housekeeping();

  // The PresenceService view of `watcher` for `presentity` in `format`: for the
  // msrtc categories format, the container `watcher` belongs to in the presentity's
  // ACL (MS-PRES lookup order: user, domain, sameEnterprise, federated/publicCloud,
  // everyone), else kViewFull.
  ViewId viewFor(std::string_view presentity, std::string_view watcher, int format) const;

  size_t batchCount() const { return batches_.size(); }
  const MsAccount* account(std::string_view aor) const;

 private:
  struct SelfDialog {
    std::string aor;
    std::string event;
    DialogState dialog;
    bool benotify = false;
    roaming::RoamingSelfSections sections;  // roaming-self
    int64_t expires_ms = 0;
  };
  struct BatchMember {
    std::string resource;
    unsigned shard = 0;
    SubscriptionId id = 0;  // 0 until the owner answered (or when it refused)
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
    std::string content_type;
    std::shared_ptr<const std::string> body;
  };

  MsAccount& accountOf(const std::string& aor);
  void persist(const std::string& aor);
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
  void refreshMember(SubscriptionId id, std::optional<uint32_t> expires, uint32_t cseq);
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
};

}  // namespace core::presence
