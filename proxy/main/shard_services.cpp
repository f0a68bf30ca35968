// SPDX-License-Identifier: Apache-2.0
#include "proxy/main/shard_services.h"

#include "core-server/registrar/stages/location_stage.h"
#include "core-server/registrar/stages/register_stage.h"
#include "core-server/registrar/stages/request_auth_stage.h"
#include "proxy/base/clock.h"
#include "proxy/base/log.h"
#include "proxy/routing/stages/forward_stage.h"
#include "proxy/routing/stages/local_options_stage.h"
#include "proxy/routing/stages/loose_route_stage.h"
#include "proxy/routing/stages/sanity_stage.h"
#include "proxy/transport/transport.h"

namespace proxy::main {
namespace reg = core::registrar;

namespace {

reg::AuthOptions authOptions(const config::Config& config) {
  reg::AuthOptions options;
  options.realm = config.auth.realm;
  options.algorithms = config.auth.algorithms;
  options.nonce_lifetime_s = config.auth.nonce_lifetime_s;
  options.md5_only_user_agents = config.auth.md5_only_user_agents;
  const config::AuthConfig* auth = &config.auth;
  options.is_trusted = [auth](const transport::Address& address) {
    return auth->isTrusted(reinterpret_cast<const sockaddr*>(&address.storage));
  };
  return options;
}

reg::RegistrarOptions registrarOptions(const config::Config& config) {
  reg::RegistrarOptions options;
  options.min_expires = config.registrar.min_expires;
  options.max_expires = config.registrar.max_expires;
  options.default_expires = config.registrar.default_expires;
  options.max_contacts_per_aor = config.registrar.max_contacts_per_aor;
  options.challenge_register = config.auth.challenge_register;
  const config::Config* c = &config;
  options.is_local_domain = [c](std::string_view host) { return c->isLocalDomain(host); };
  return options;
}

routing::RoutingConfig routingConfig(const config::Config& config) {
  routing::RoutingConfig rc;
  rc.max_forwards = config.limits.max_forwards;
  rc.trace_sip = config.server.trace_sip;
  rc.parse_limits.max_message_size = config.limits.max_message_size;
  rc.parse_limits.max_headers = config.limits.max_headers;
  rc.timers.t1_ms = config.transactions.t1_ms;
  rc.timers.t2_ms = config.transactions.t2_ms;
  rc.timers.t4_ms = config.transactions.t4_ms;
  return rc;
}

}  // namespace

ShardServices::ShardServices(uv::Shard& shard, SharedState& shared) {
  const config::Config& config = shared.config;
  Clock& clock = SystemClock::instance();
  users_ = std::make_unique<reg::UserDirectory>(shared.users);
  auth_ = std::make_unique<reg::Authenticator>(authOptions(config), shared.nonce_key, *users_,
                                               clock);
  location_ = std::make_unique<reg::LocationService>(clock, shared.store);
  uv::Shard* self = &shard;
  core::storage::Poster poster = [self](std::function<void()> task) {
    self->post(std::move(task));
  };
  registrar_ = std::make_unique<reg::Registrar>(registrarOptions(config), *location_, *auth_,
                                                shared.store, poster, clock);
  router_ = std::make_unique<routing::ShardRouter>(shard, shared.transports, shared.us,
                                                   routingConfig(config), shared.routers);
  size_t loaded = 0;
  for (const auto& record : shared.bindings) {
    if (router_->ownerOfAor(record.aor) == shard.id()) {
      location_->load(record);
      ++loaded;
    }
  }
  if (loaded > 0) {
    LOG_INFO("shard %u: restored %zu bindings", shard.id(), loaded);
  }
  buildPipeline(config);
  housekeeping_ = std::make_unique<uv::Timer>(shard.loop(), [this] { housekeeping(); });
  housekeeping_->start(1000, 1000);
}

ShardServices::~ShardServices() {
  housekeeping_.reset();
  router_.reset();  // its transactions reference nothing below
  registrar_.reset();
  location_.reset();
  auth_.reset();
  users_.reset();
}

void ShardServices::buildPipeline(const config::Config& config) {
  // The stages, in order; each is one policy (see its header).
  routing::Pipeline& p = router_->pipeline();
  p.add(std::make_unique<routing::SanityStage>());
  p.add(std::make_unique<routing::LooseRouteStage>());
  p.add(std::make_unique<routing::LocalOptionsStage>());
  p.add(std::make_unique<reg::RegisterStage>(*registrar_));
  p.add(std::make_unique<reg::RequestAuthStage>(*auth_, config.auth.challenge_requests));
  p.add(std::make_unique<reg::LocationStage>(*location_, *users_, config.auth.realm));
  p.add(std::make_unique<routing::ForwardStage>());
}

void ShardServices::housekeeping() {
  location_->expire(SystemClock::instance().unixSeconds());
  auth_->sweep();
}

}  // namespace proxy::main
