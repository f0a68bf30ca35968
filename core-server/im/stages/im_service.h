// SPDX-License-Identifier: Apache-2.0
// The IM service of one shard: the users it owns get their page-mode
// MESSAGEs through it when the plain relay is not enough. A user with no
// endpoint (or with older messages still queued) gets them stored (offline
// mailbox, answered 202 after the commit) and delivered on the next
// registration; a session-mode (OCS-dialect) endpoint gets them through the
// bridge, or, for copies from a conversation focus, through the mesh (one
// dialog per member). The registrar's changes come in via registrationChanged().
// Services of all shards reach each other through `peers` (by shard id; a
// message to a user of another shard is posted there and its status posted
// back). One instance per shard, used only on its thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core-server/im/flood_limiter.h"
#include "core-server/im/offline_mailbox.h"
#include "core-server/im/stages/bridge.h"
#include "core-server/im/stages/focus.h"
#include "core-server/im/stages/mesh.h"
#include "core-server/im/stages/page_message.h"
#include "core-server/registrar/location_service.h"
#include "core-server/registrar/user_directory.h"
#include "proxy/routing/shard_router.h"

namespace core::im {

struct ImOptions {
  MailboxLimits offline;
  uint32_t max_body_bytes = 65536;
  int64_t session_idle_ms = 300000;
  uint32_t flood_max_messages = 100;  // per sender per window; 0 = unlimited
  int64_t flood_window_ms = 10000;
  int64_t retry_interval_ms = 30000;  // offline messages refused by a live endpoint
  uint32_t max_participants = 500;    // per multiparty conversation
  // OCS-dialect participants of a conversation get the mesh (one dialog per other
  // member, stages/mesh.h) rather than one bridged session with text notices.
  bool ocs_mesh = true;
  // Runs a task on another shard through something that outlives every service
  // (the server's shard set): at shutdown a peer's service, and its router, may
  // already be gone. Unset (tests): through the peer's router.
  std::function<void(unsigned shard, std::function<void()> task)> post_to_shard;
};

class ImService {
 public:
  ImService(proxy::routing::ShardRouter& router, const registrar::LocationService& location,
            const registrar::UserDirectory& users, std::string realm, OfflineStore& store,
            ImOptions options, const std::vector<ImService*>& peers);
  ~ImService();
  ImService(const ImService&) = delete;
  ImService& operator=(const ImService&) = delete;

  // A page-mode MESSAGE to `aor` (a known user of this shard), out of dialog.
  proxy::routing::Verdict onPage(proxy::routing::ContextPtr& ctx, const std::string& aor);

  // An INVITE offering an IM session (m=message) to `aor`, a known user of this
  // shard: if `aor` chats in page mode, we answer it and bridge the session.
  proxy::routing::Verdict onSessionInvite(proxy::routing::ContextPtr& ctx, const std::string& aor);

  // A request inside a mesh dialog (Request-URI user kMeshUser): on this shard.
  proxy::routing::Verdict onMeshRequest(proxy::routing::ContextPtr& ctx);
  // An out-of-dialog INVITE to member `aor` with a mesh Call-ID of shard
  // `mesh_shard` (an OCS client's own triggered INVITE): answered by that mesh.
  proxy::routing::Verdict onTriggeredInvite(proxy::routing::ContextPtr& ctx, const std::string& aor,
                                            unsigned mesh_shard);

  // A request to a conversation focus of ours (`focus_aor` = "im-conf-...@domain").
  proxy::routing::Verdict onFocus(proxy::routing::ContextPtr& ctx, const std::string& focus_aor);

  // Delivers to a local user on whichever shard owns it; `done` runs on this shard.
  // With `store_if_offline`, a user without endpoints gets it stored (202).
  void deliver(PageMessage m, bool store_if_offline, StatusCallback done);
  // AORs that are services rather than users (adapter plugin identities): the inbox
  // returns true when it took `m` (it then calls `done` on this shard), false for a
  // user. Asked first on the owner shard, so bridged session texts reach services too.
  using ServiceInbox = std::function<bool(PageMessage& m, StatusCallback& done)>;
  void setServiceInbox(ServiceInbox inbox) { service_inbox_ = std::move(inbox); }

  // The registrar changed `aor`'s bindings.
  void registrationChanged(std::string_view aor, bool registered);
  // Start-up: stored messages for this shard's users.
  void loadOffline(std::vector<StoredMessage> messages) { mailbox_.load(std::move(messages)); }
  // Once a second: expiry, idle sessions, retries.
  void housekeeping(int64_t now_unix, int64_t now_ms);

  Bridge& bridge() { return bridge_; }
  Focus& focus() { return focus_; }
  Mesh& mesh() { return mesh_; }
  OfflineMailbox& mailbox() { return mailbox_; }
  proxy::routing::ShardRouter& router() { return router_; }

 private:
  void deliverLocal(PageMessage m, bool store_if_offline, StatusCallback done);
  // To the live bindings: standard ones by MESSAGE, session-mode ones by the bridge.
  void deliverToBindings(PageMessage m, StatusCallback done);
  void sendPage(const PageMessage& m, const registrar::Binding& binding, StatusCallback done);
  void storeOffline(PageMessage m, StatusCallback done);
  // Runs bridge().adopt() on the shard owning `in.target_aor`; `done` runs here.
  // Runs `task` on the shard owning `aor` (here if it is ours).
  void onOwner(std::string_view aor, std::function<void(ImService&)> task);
  bool isKnownUser(std::string_view aor) const;
  void adoptOnOwner(Bridge::Incoming in, std::function<void(Bridge::Adopted)> done);
  // The mesh's requests towards OCS endpoints, through the transaction layer.
  void sendMeshRequest(std::string text, std::optional<proxy::transport::Flow> flow,
                       std::function<void(Mesh::Response)> done);

  proxy::routing::ShardRouter& router_;
  const registrar::LocationService& location_;
  const registrar::UserDirectory& users_;
  std::string realm_;
  // Runs `task` on shard `owner` with its service, if that still exists when the
  // task runs (looked up there, on its own thread).
  void postToPeer(unsigned owner, std::function<void(ImService&)> task);
  ImOptions options_;
  const std::vector<ImService*>& peers_;
  OfflineMailbox mailbox_;
  Bridge bridge_;
  Mesh mesh_;
  Focus focus_;
  FloodLimiter flood_;
  int64_t next_retry_ms_ = 0;
  std::shared_ptr<ImService*> alive_;
  ServiceInbox service_inbox_;
};

}  // namespace core::im
