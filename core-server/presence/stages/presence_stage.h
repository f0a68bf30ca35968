// SPDX-License-Identifier: Apache-2.0
// The presence service on the SIP edge: PUBLISH (RFC 3903) and SUBSCRIBE
// (RFC 6665 / RFC 3856) for presentities in our domains, and in-dialog
// SUBSCRIBEs of the subscriptions we hold (found by Call-ID and tags; 481 when
// unknown, so they never reach the location stage). Placed after the
// request-auth stage (ctx->authenticated_aor is the publisher / watcher) and
// before the location stage. Everything else continues.
//
// presence.winfo (RFC 3857) SUBSCRIBEs of a presentity to itself go to a
// StandardWinfo, made on the first one (with its NOTIFY sender and a 1 s expiry
// timer on this shard's loop); anyone else gets 403. Once enableEventLists()
// was called, SUBSCRIBEs to sip:<user>@<domain>;list=<name> from that user are
// RFC 4662 list subscriptions of its contact list (StandardEventList; without
// Supported: eventlist, 421).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core-server/presence/service/presence_service.h"
#include "core-server/presence/stages/sip_notifier.h"
#include "core-server/presence/stages/standard_eventlist.h"
#include "core-server/presence/stages/standard_winfo.h"
#include "core-server/registrar/user_directory.h"
#include "proxy/routing/local_addresses.h"
#include "proxy/routing/stage.h"
#include "proxy/uv/timer.h"

namespace core::presence {

class PresenceStage final : public proxy::routing::Stage {
 public:
  PresenceStage(PresenceService& service, const registrar::UserDirectory& users, std::string realm);
  ~PresenceStage() override;
  std::string_view name() const override {
    return "presence: PUBLISH / SUBSCRIBE for local presentities";
  }
  proxy::routing::Verdict onRequest(proxy::routing::ContextPtr& ctx) override;
  // AORs that are presentities without being users (adapter plugin identities,
  // which publish through PresenceService::setSource): watchers may subscribe.
  void setServicePresentities(std::function<bool(std::string_view aor)> is_presentity) {
    service_presentity_ = std::move(is_presentity);
  }
  // Runs `task` with the PresenceStage of shard `shard` on that shard's thread
  // (dropped once it stopped); only called for other shards than this one.
  using StageRunner = std::function<void(unsigned shard, std::function<void(PresenceStage&)> task)>;
  // Serves RFC 4662 list subscriptions: `contacts` gives a user's stored contact
  // list (on this shard), `run` reaches list members' shards. Every shard's stage
  // must be enabled (members are watched from their own shard).
  void enableEventLists(proxy::routing::ShardRouter& router,
                        StandardEventList::ContactLists contacts, StageRunner run);
  // The list subscriptions (null until enableEventLists()): XCAP edits tell it.
  StandardEventList* eventList() { return eventlist_.get(); }
  // Start-up, after enableEventLists(): the stored winfo and list subscriptions of the
  // users `owns` says are this shard's.
  void load(const std::vector<PresenceRecord>& records,
            const std::function<bool(std::string_view aor)>& owns,
            proxy::routing::ShardRouter& router);

 private:
  proxy::routing::Verdict onPublish(proxy::routing::RequestContext& ctx, const std::string& aor);
  proxy::routing::Verdict onSubscribe(proxy::routing::RequestContext& ctx, const std::string& aor,
                                      std::string_view user);
  proxy::routing::Verdict onInDialogSubscribe(proxy::routing::RequestContext& ctx);
  proxy::routing::Verdict onWinfoSubscribe(proxy::routing::RequestContext& ctx,
                                           const std::string& aor, std::string_view user,
                                           std::string event_id);
  // Who holds a subscription and sends its NOTIFYs.
  enum class Owner : uint8_t { Presence, Winfo, EventList };
  // 2xx: also sends the owed first NOTIFY through its owner.
  void replySubscribe(proxy::routing::RequestContext& ctx, const SubscribeResult& result,
                      std::string_view contact, Owner owner = Owner::Presence);
  // A new winfo or list subscription: its dialog (or 400), then `subscribe`'s answer.
  proxy::routing::Verdict subscribeHeld(
      proxy::routing::RequestContext& ctx, std::string_view user, Owner owner,
      const std::function<SubscribeResult(DialogState dialog)>& subscribe);
  // An in-dialog SUBSCRIBE of a winfo or list subscription this stage holds.
  proxy::routing::Verdict onInDialogHeld(proxy::routing::RequestContext& ctx, SubscriptionId id,
                                         Owner owner);
  proxy::routing::Verdict onListSubscribe(proxy::routing::RequestContext& ctx,
                                          const std::string& aor, std::string_view user);
  StandardWinfo& winfo(proxy::routing::ShardRouter& router);
  SipNotifier& notifier(proxy::routing::ShardRouter& router);
  // Expiry of winfo and list subscriptions at their deadline (1 s at the latest).
  void startTimer(proxy::routing::ShardRouter& router);
  void onTimer();
  class StageShards;

  PresenceService& service_;
  const registrar::UserDirectory& users_;
  std::string realm_;
  std::function<bool(std::string_view aor)> service_presentity_;
  // Not attached: winfo and list NOTIFYs report their answers nowhere.
  std::unique_ptr<SipNotifier> notifier_;
  std::unique_ptr<StandardWinfo> winfo_;
  std::unique_ptr<StageShards> shards_;
  std::unique_ptr<StandardEventList> eventlist_;  // uses shards_ until it is gone
  std::unique_ptr<proxy::uv::Timer> timer_;       // expiry of both; destroyed first
};

// "presence" and "abc" of "Presence;id=abc" (package lowercased).
struct EventHeader {
  std::string package;
  std::string id;
};
EventHeader parseEvent(std::string_view value);

// "application/pidf+xml" of "application/pidf+xml; charset=UTF-8".
std::string_view mediaType(std::string_view value);

// The identity a request speaks for: the digest user when it authenticated,
// else the From (the request-auth stage let it through: trusted, or auth off).
std::string requesterAor(const proxy::routing::RequestContext& ctx);

// Our Contact for a dialog we terminate on `shard`, reached over `flow`:
// "<sip:USER@HOST:PORT;transport=T;sh=N>" (see ShardRouter::kShardParam).
std::string dialogContact(std::string_view user, const proxy::transport::Flow& flow,
                          const proxy::routing::LocalAddresses& us, unsigned shard);

}  // namespace core::presence
