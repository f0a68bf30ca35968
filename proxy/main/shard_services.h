// SPDX-License-Identifier: Apache-2.0
// Everything one shard owns: its slice of the registrar (users snapshot,
// authenticator, location service, registrar), its SIP router with the
// pipeline, and a 1 s housekeeping timer. Built and destroyed on the shard's
// own thread (ShardSet::startAll / stopAll), in dependency order.
#pragma once

#include <memory>
#include <vector>

#include "core-server/registrar/authenticator.h"
#include "core-server/registrar/location_service.h"
#include "core-server/registrar/registrar.h"
#include "core-server/registrar/user_directory.h"
#include "core-server/storage/store.h"
#include "proxy/config/config.h"
#include "proxy/routing/shard_router.h"
#include "proxy/uv/timer.h"

namespace proxy::main {

// What every shard shares, read-only once the shards run.
struct SharedState {
  const config::Config& config;
  core::storage::Store& store;
  transport::Transports& transports;
  routing::LocalAddresses& us;
  core::registrar::NonceKey nonce_key;
  std::shared_ptr<const core::registrar::UserTable> users;
  std::vector<routing::ShardRouter*> routers;  // by shard id; filled before traffic
  std::vector<core::storage::BindingRecord> bindings;  // loaded at start, each shard takes its own
};

class ShardServices {
 public:
  ShardServices(uv::Shard& shard, SharedState& shared);
  ~ShardServices();

  routing::ShardRouter& router() { return *router_; }
  core::registrar::UserDirectory& users() { return *users_; }

 private:
  void buildPipeline(const config::Config& config);
  void housekeeping();

  std::unique_ptr<core::registrar::UserDirectory> users_;
  std::unique_ptr<core::registrar::Authenticator> auth_;
  std::unique_ptr<core::registrar::LocationService> location_;
  std::unique_ptr<core::registrar::Registrar> registrar_;
  std::unique_ptr<routing::ShardRouter> router_;
  std::unique_ptr<uv::Timer> housekeeping_;
};

}  // namespace proxy::main
