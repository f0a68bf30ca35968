// SPDX-License-Identifier: Apache-2.0
// Everything one shard owns: its slice of the registrar (users snapshot,
// authenticator, location service, registrar), its SIP router with the
// pipeline, and a 1 s housekeeping timer. Built and destroyed on the shard's
// own thread (ShardSet::startAll / stopAll), in dependency order.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "core-server/groupchat/stages/groupchat_shard.h"
#include "core-server/im/offline_store.h"
#include "core-server/im/stages/im_service.h"
#include "core-server/presence/service/presence_service.h"
#include "core-server/presence/service/state_store.h"
#include "core-server/presence/stages/ms_presence.h"
#include "core-server/presence/stages/presence_stage.h"
#include "core-server/presence/stages/sip_notifier.h"
#include "core-server/registrar/authenticator.h"
#include "core-server/registrar/location_service.h"
#include "core-server/registrar/ntlm/ntlm_flow_signer.h"
#include "core-server/registrar/ntlm/ntlm_security.h"
#include "core-server/registrar/registrar.h"
#include "core-server/registrar/user_directory.h"
#include "core-server/storage/store.h"
#include "proxy/config/config.h"
#include "proxy/federation/federation_edge.h"
#include "proxy/routing/shard_router.h"
#include "proxy/uv/timer.h"

namespace adapters {
class AdapterHost;
}

namespace proxy::main {

// What every shard shares, read-only once the shards run.
struct SharedState {
  // Positional, as server.cpp builds it; the presence fields are set afterwards.
  SharedState(const config::Config& config_in, core::storage::Store& store_in,
              transport::Transports& transports_in, routing::LocalAddresses& us_in,
              core::registrar::NonceKey nonce_key_in,
              std::shared_ptr<const core::registrar::UserTable> users_in,
              std::vector<routing::ShardRouter*> routers_in,
              std::vector<core::storage::BindingRecord> bindings_in)
      : config(config_in),
        store(store_in),
        transports(transports_in),
        us(us_in),
        nonce_key(std::move(nonce_key_in)),
        users(std::move(users_in)),
        routers(std::move(routers_in)),
        bindings(std::move(bindings_in)) {}

  const config::Config& config;
  core::storage::Store& store;
  transport::Transports& transports;
  routing::LocalAddresses& us;
  core::registrar::NonceKey nonce_key;
  std::shared_ptr<const core::registrar::UserTable> users;
  std::vector<routing::ShardRouter*> routers;  // by shard id; filled before traffic
  // Runs a task on a shard through the server's shard set, which outlives every
  // service: cross-shard tasks must not reach a peer through its router, which
  // may be gone at shutdown (the task itself looks its target up on that shard).
  std::function<void(unsigned shard, std::function<void()> task)> post_to_shard;
  std::vector<core::storage::BindingRecord> bindings;  // loaded at start, each shard takes its own
  // NTLM ([MS-SIPAE]): the process's security associations, and each shard's list
  // of the connections they sign (by shard id; filled before traffic).
  std::unique_ptr<core::registrar::ntlm::NtlmSecurity> ntlm;
  std::vector<core::registrar::ntlm::NtlmFlowSigner*> ntlm_signers;
  // Presence persistence: null = none. The records are loaded once at start
  // (PresenceStateStore::load) and each shard takes the presentities it owns.
  core::presence::PresenceStateStore* presence_store = nullptr;
  std::vector<core::presence::PresenceRecord> presence_records;
  // IM: one offline store (im.db) for all shards, opened by the first shard
  // built; every shard's IM service by shard id (filled before traffic).
  std::mutex im_mutex;  // start-up only
  std::unique_ptr<core::im::OfflineStore> im_store;
  bool im_store_failed = false;
  std::vector<core::im::ImService*> im_services;
  // The OCS/Lync presence side of every shard by shard id (filled before traffic,
  // under im_mutex): batches fan out to the shards owning their resources.
  std::vector<core::presence::MsPresence*> ms_presence;
  // Every shard's standard presence stage by shard id (filled before traffic, under
  // im_mutex): RFC 4662 list members are watched on the shards owning them.
  std::vector<core::presence::PresenceStage*> presence_stages;
  // Adapter plugins (null = none): requests to their identities go to them.
  adapters::AdapterHost* adapters = nullptr;
};

class ShardServices {
 public:
  ShardServices(uv::Shard& shard, SharedState& shared);
  ~ShardServices();

  routing::ShardRouter& router() { return *router_; }
  // A stream connection closed (on any shard): forget what lived on it here.
  void flowClosed(const transport::Flow& flow);
  // This shard's presence service (rules for the presentities it owns; shard thread only).
  core::presence::PresenceService& presence() { return *presence_; }
  core::registrar::UserDirectory& users() { return *users_; }

 private:
  void bindNtlmEverywhere(const transport::Flow& flow, std::string opaque);

  SharedState* shared_ = nullptr;
  std::unique_ptr<core::registrar::ntlm::NtlmFlowSigner> ntlm_signer_;
  void buildPipeline(const config::Config& config);
  void housekeeping();
  void buildPresence(uv::Shard& shard, SharedState& shared, const std::vector<std::string>& aors);
  void registrationChanged(std::string_view aor);
  std::vector<core::presence::RegisteredContact> registeredContacts(std::string_view aor) const;
  void armPresenceTimer(int64_t deadline_ms);
  void buildIm(uv::Shard& shard, SharedState& shared);

  std::unique_ptr<core::registrar::UserDirectory> users_;
  std::unique_ptr<core::registrar::Authenticator> auth_;
  std::unique_ptr<core::registrar::LocationService> location_;
  std::unique_ptr<core::registrar::Registrar> registrar_;
  std::unique_ptr<routing::ShardRouter> router_;
  std::unique_ptr<federation::FederationEdge> federation_;  // null: federation off
  void buildFederation(uv::Shard& shard, const config::Config& config);
  std::unique_ptr<core::presence::SipNotifier> notifier_;
  std::unique_ptr<core::presence::PresenceService> presence_;
  std::unique_ptr<core::presence::MsPresence> ms_;
  std::unique_ptr<uv::Timer> presence_timer_;
  int64_t presence_armed_ms_ = 0;
  std::unique_ptr<core::im::ImService> im_;                     // null when im.db cannot be opened
  std::unique_ptr<core::groupchat::GroupChatShard> groupchat_;  // null when disabled
  std::unique_ptr<uv::Timer> housekeeping_;
};

}  // namespace proxy::main
