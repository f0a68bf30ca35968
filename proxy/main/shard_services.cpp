// SPDX-License-Identifier: Apache-2.0
#include "proxy/main/shard_services.h"

#include "adapters/host/adapter_stage.h"
#include "adapters/host/im_inbox.h"

#include "core-server/groupchat/stages/groupchat_shard.h"
#include "core-server/im/stages/conference_subscribe_stage.h"
#include "core-server/im/stages/im_stage.h"
#include "core-server/presence/stages/ms_presence_stage.h"
#include "core-server/presence/stages/ms_renderer.h"
#include "core-server/presence/stages/presence_stage.h"
#include "core-server/registrar/register_response.h"
#include "core-server/registrar/stages/location_stage.h"
#include "core-server/registrar/stages/ntlm_stage.h"
#include "core-server/registrar/stages/register_stage.h"
#include "core-server/registrar/stages/request_auth_stage.h"
#include "proxy/base/clock.h"
#include "proxy/base/counters.h"
#include "proxy/base/log.h"
#include "proxy/federation/federation_inbound_stage.h"
#include "proxy/federation/federation_route_stage.h"
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

core::presence::Decision decisionOf(const std::string& action) {
  return core::presence::parseDecision(action).value_or(core::presence::Decision::Reject);
}

core::presence::PresenceOptions presenceOptions(const config::Config& config) {
  const config::PresenceConfig& c = config.presence;
  core::presence::PresenceOptions o;
  o.publish_min_expires = c.publish_min_expires;
  o.publish_max_expires = c.publish_max_expires;
  o.publish_default_expires = c.publish_default_expires;
  o.subscribe_min_expires = c.subscribe_min_expires;
  o.subscribe_max_expires = c.subscribe_max_expires;
  o.subscribe_default_expires = c.subscribe_default_expires;
  o.min_notify_interval_ms = c.min_notify_interval_ms;
  o.publication_write_interval_ms = c.publication_write_interval_ms;
  o.max_subscriptions_per_watcher = c.max_subscriptions_per_watcher;
  o.max_watchers_per_presentity = c.max_watchers_per_presentity;
  o.max_publication_bytes = c.max_publication_size;
  o.xml.max_bytes = c.max_publication_size;
  o.federated_default = decisionOf(c.federated);
  const config::FederationConfig* f = &config.federation;  // peers' `presence:` overrides
  o.federated_decision = [f](std::string_view domain) -> std::optional<core::presence::Decision> {
    const config::FederationPeerConfig* peer = f->peer(domain);
    if (peer == nullptr || peer->presence.empty()) {
      return std::nullopt;
    }
    return decisionOf(peer->presence);
  };
  return o;
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

ShardServices::ShardServices(uv::Shard& shard, SharedState& shared) : shared_(&shared) {
  const config::Config& config = shared.config;
  Clock& clock = SystemClock::instance();
  users_ = std::make_unique<reg::UserDirectory>(shared.users);
  auth_ =
      std::make_unique<reg::Authenticator>(authOptions(config), shared.nonce_key, *users_, clock);
  location_ = std::make_unique<reg::LocationService>(clock, shared.store);
  uv::Shard* self = &shard;
  core::storage::Poster poster = [self](std::function<void()> task) {
    self->post(std::move(task));
  };
  registrar_ = std::make_unique<reg::Registrar>(registrarOptions(config), *location_, *auth_,
                                                shared.store, poster, clock);
  router_ = std::make_unique<routing::ShardRouter>(shard, shared.transports, shared.us,
                                                   routingConfig(config), shared.routers);
  router_->setShardPoster(shared.post_to_shard);
  buildFederation(shard, config);
  if (shared.ntlm) {
    ntlm_signer_ = std::make_unique<reg::ntlm::NtlmFlowSigner>(*shared.ntlm);
    shared.ntlm_signers[shard.id()] = ntlm_signer_.get();
    router_->setOutboundFilter(
        [signer = ntlm_signer_.get()](const transport::Flow& flow, std::string& bytes) {
          signer->filter(flow, bytes);
        });
  }
  size_t loaded = 0;
  std::vector<std::string> registered;
  for (const auto& record : shared.bindings) {
    if (router_->ownerOfAor(record.aor) == shard.id()) {
      location_->load(record);
      registered.push_back(record.aor);
      ++loaded;
    }
  }
  if (loaded > 0) {
    LOG_INFO("shard %u: restored %zu bindings", shard.id(), loaded);
  }
  buildPresence(shard, shared, registered);
  buildIm(shard, shared);  // after the restored bindings: its first tick delivers to them
  groupchat_ = core::groupchat::GroupChatShard::build(config, *router_);  // null: disabled
  buildPipeline(config);
  housekeeping_ = std::make_unique<uv::Timer>(shard.loop(), [this] { housekeeping(); });
  housekeeping_->start(1000, 1000);
}

ShardServices::~ShardServices() {
  // Tasks other shards post to us look these slots up on our thread: clear them first.
  const unsigned id = router_->shardId();
  if (ntlm_signer_) {
    shared_->ntlm_signers[id] = nullptr;
  }
  if (id < shared_->im_services.size()) {
    shared_->im_services[id] = nullptr;
  }
  if (id < shared_->ms_presence.size()) {
    shared_->ms_presence[id] = nullptr;
  }
  if (id < shared_->presence_stages.size()) {
    shared_->presence_stages[id] = nullptr;
  }
  shared_->routers[id] = nullptr;  // messages other shards hop to us find no router now
  housekeeping_.reset();
  presence_timer_.reset();
  location_->on_change = nullptr;
  im_.reset();          // detaches its client transactions from the router
  router_.reset();      // its transactions reference nothing below
  federation_.reset();  // after the router, whose stages and resolver use it
  groupchat_.reset();   // after the router, which owns the group-chat stage
  ms_.reset();
  presence_.reset();
  notifier_.reset();
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
  if (federation_) {  // before authentication: a verified peer's request needs none
    p.add(std::make_unique<federation::FederationInboundStage>(*federation_));
  }
  if (ntlm_signer_) {
    reg::NtlmStageOptions ntlm_options;
    ntlm_options.challenge_register = config.auth.challenge_register;
    ntlm_options.bind_everywhere = [this](const transport::Flow& flow, std::string opaque) {
      bindNtlmEverywhere(flow, std::move(opaque));
    };
    p.add(std::make_unique<reg::NtlmStage>(*shared_->ntlm, *ntlm_signer_, *users_, *auth_,
                                           std::move(ntlm_options)));
  }
  p.add(std::make_unique<reg::RegisterStage>(*registrar_));
  // The 401 for a REGISTER without credentials skips transaction and pipeline
  // unless an earlier stage could answer it otherwise: federation's inbound
  // rules, or the NTLM stage, which offers NTLM to Microsoft clients on a
  // connection (everyone else gets the same digest challenge from either path).
  if (!federation_) {
    const bool ntlm = ntlm_signer_ != nullptr;
    router_->setStatelessResponder(
        [this, ntlm](const sip::SipMessage& request, const transport::Flow& flow) {
          return (!ntlm || flow.connection_id == 0 || !reg::isMicrosoftClient(request)) &&
                 reg::answerStatelessChallenge(*registrar_, *router_, request, flow);
        });
  }
  p.add(std::make_unique<reg::RequestAuthStage>(*auth_, config.auth.challenge_requests));
  if (groupchat_) {
    p.add(groupchat_->makeStage());  // before the IM stage: it owns INVITEs to the chat services
  }
  if (shared_->adapters != nullptr && !shared_->adapters->empty()) {
    p.add(std::make_unique<adapters::AdapterStage>(*shared_->adapters, im_.get(),
                                                   router_->shardId(), config.im.max_body_size));
  }
  if (im_) {  // before the presence stages, which would answer 404/481 for these
    p.add(std::make_unique<core::im::ConferenceSubscribeStage>(*im_));
  }
  p.add(std::make_unique<core::presence::MsPresenceStage>(*ms_, *users_, config.auth.realm));
  auto presence_stage =
      std::make_unique<core::presence::PresenceStage>(*presence_, *users_, config.auth.realm);
  if (adapters::AdapterHost* host = shared_->adapters) {
    presence_stage->setServicePresentities(
        [host](std::string_view aor) { return host->pluginFor(aor) != nullptr; });
  }
  core::presence::MsPresence* ms = ms_.get();  // it keeps every user's stored contact list
  SharedState* shared = shared_;
  presence_stage->enableEventLists(
      *router_,
      [ms](std::string_view aor) -> const core::presence::roaming::ContactList* {
        const core::presence::MsAccount* account = ms->account(aor);
        return account != nullptr ? &account->contacts : nullptr;
      },
      [shared](unsigned shard, std::function<void(core::presence::PresenceStage&)> task) {
        shared->post_to_shard(shard, [shared, shard, task = std::move(task)] {
          if (shard < shared->presence_stages.size() && shared->presence_stages[shard] != nullptr) {
            task(*shared->presence_stages[shard]);
          }
        });
      });
  // Stored winfo and list subscriptions (the records are kept until every shard started).
  presence_stage->load(
      shared_->presence_records,
      [router = router_.get()](std::string_view aor) {
        return router->ownerOfAor(aor) == router->shardId();
      },
      *router_);
  {
    std::lock_guard lock(shared_->im_mutex);
    if (shared_->presence_stages.size() < shared_->routers.size()) {
      shared_->presence_stages.resize(shared_->routers.size(), nullptr);
    }
    shared_->presence_stages[router_->shardId()] = presence_stage.get();
  }
  p.add(std::move(presence_stage));
  if (im_) {
    p.add(std::make_unique<core::im::ImStage>(*im_, *users_, config.auth.realm));
  }
  p.add(std::make_unique<reg::LocationStage>(*location_, *users_, config.auth.realm));
  if (federation_) {
    p.add(std::make_unique<federation::FederationRouteStage>(*federation_));
  }
  p.add(std::make_unique<routing::ForwardStage>());
}

// The presence service of this shard: restored state, static rules, the
// registrar's changes as input, and a timer for its exact deadlines.
void ShardServices::buildPresence(uv::Shard& shard, SharedState& shared,
                                  const std::vector<std::string>& registered) {
  const config::Config& config = shared.config;
  notifier_ = std::make_unique<core::presence::SipNotifier>(*router_);
  presence_ = std::make_unique<core::presence::PresenceService>(
      SystemClock::instance(), presenceOptions(config), *notifier_, shared.presence_store);
  notifier_->attach(presence_.get());
  // Presence is kept only for users someone watches or publishes for; their
  // registrations come from the location service when first needed.
  presence_->setRegistrationSource(
      [this](std::string_view aor) { return registeredContacts(aor); });
  // Before load(): restored subscriptions name their renderer by index.
  presence_->renderers().add(
      std::make_unique<core::presence::MsCategoriesRenderer>(SystemClock::instance()));
  const unsigned id = shard.id();
  routing::ShardRouter* router = router_.get();
  auto owns = [router, id](std::string_view aor) { return router->ownerOfAor(aor) == id; };
  presence_->load(shared.presence_records, owns);
  core::presence::MsOptions ms_options;
  if (!config.groupchat.lookup_uri.empty()) {
    ms_options.persistent_chat_pool_uri = "sip:" + config.groupchat.lookup_uri;
  }
  ms_options.xml.max_bytes = config.presence.max_publication_size;
  ms_options.post_to_shard = shared.post_to_shard;
  ms_ = std::make_unique<core::presence::MsPresence>(*router_, *presence_, SystemClock::instance(),
                                                     ms_options, shared.ms_presence,
                                                     shared.presence_store);
  ms_->load(shared.presence_records, owns);
  core::presence::MsPresence* ms = ms_.get();
  presence_->setViewResolver([ms](std::string_view presentity, std::string_view watcher,
                                  int format) { return ms->viewFor(presentity, watcher, format); });
  {
    std::lock_guard lock(shared.im_mutex);
    if (shared.ms_presence.size() < shared.routers.size()) {
      shared.ms_presence.resize(shared.routers.size(), nullptr);
    }
    shared.ms_presence[id] = ms_.get();
  }
  for (const config::PresenceRuleConfig& rule : config.presence.rules) {
    if (router_->ownerOfAor(rule.presentity) != id) {
      continue;
    }
    const bool domain = rule.watcher.empty();
    presence_->setRule(rule.presentity,
                       {domain, domain ? rule.domain : rule.watcher, decisionOf(rule.action)},
                       /*persist=*/false);
  }
  for (const std::string& aor : registered) {
    registrationChanged(aor);
  }
  location_->on_change = [this](std::string_view aor) { registrationChanged(aor); };
  presence_timer_ = std::make_unique<uv::Timer>(shard.loop(), [this] { presence_->runTimers(); });
  presence_->setWakeup([this](int64_t deadline_ms) { armPresenceTimer(deadline_ms); });
  if (auto next = presence_->nextDeadlineMs()) {
    armPresenceTimer(*next);
  }
}

std::vector<core::presence::RegisteredContact> ShardServices::registeredContacts(
    std::string_view aor) const {
  std::vector<core::presence::RegisteredContact> contacts;
  for (const reg::Binding* binding : location_->lookup(aor)) {
    contacts.push_back({binding->contact, binding->instance});
  }
  return contacts;
}

void ShardServices::registrationChanged(std::string_view aor) {
  const bool registered = !location_->lookup(aor).empty();
  if (presence_->tracks(aor)) {  // else it asks registeredContacts() when it needs them
    presence_->setRegistrations(aor, registeredContacts(aor));
  }
  ms_->registrationChanged(aor, registered);
  if (im_) {
    im_->registrationChanged(aor, registered);  // offline messages wait for this
  }
}

void ShardServices::armPresenceTimer(int64_t deadline_ms) {
  if (presence_timer_->active() && presence_armed_ms_ <= deadline_ms) {
    return;  // an earlier wake-up is pending; runTimers() re-arms for the rest
  }
  const int64_t now = SystemClock::instance().monotonicMs();
  presence_armed_ms_ = deadline_ms;
  presence_timer_->start(static_cast<uint64_t>(deadline_ms > now ? deadline_ms - now : 0));
}

// The IM service of this shard over the shared offline store, which the first
// shard built opens; without the store IM runs as the plain relay.
void ShardServices::buildIm(uv::Shard& shard, SharedState& shared) {
  const config::ImConfig& c = shared.config.im;
  std::lock_guard lock(shared.im_mutex);
  if (!shared.im_store && !shared.im_store_failed) {
    core::im::OfflineStoreOptions so;
    so.path = c.databasePath(shared.config.server.var_dir);
    auto opened = core::im::OfflineStore::open(so);
    if (opened) {
      shared.im_store = std::move(*opened);
    } else {
      shared.im_store_failed = true;
      LOG_ERROR("im: cannot open %s, offline delivery and bridging are off: %s", so.path.c_str(),
                opened.error().detail.c_str());
    }
  }
  if (!shared.im_store) {
    return;
  }
  if (shared.im_services.size() < shared.routers.size()) {
    shared.im_services.resize(shared.routers.size(), nullptr);
  }
  core::im::ImOptions o;
  o.offline.max_messages = c.offline_max_messages;
  o.offline.max_bytes = c.offline_max_bytes;
  o.offline.max_age_s = c.offline_max_age_s;
  o.max_body_bytes = c.max_body_size;
  o.session_idle_ms = int64_t{c.session_idle_timeout_s} * 1000;
  o.flood_max_messages = c.flood_max_messages;
  o.flood_window_ms = int64_t{c.flood_window_s} * 1000;
  o.retry_interval_ms = int64_t{c.offline_retry_interval_s} * 1000;
  o.max_participants = c.max_participants;
  o.ocs_mesh = c.ocs_multiparty == "mesh";
  o.post_to_shard = shared.post_to_shard;
  im_ =
      std::make_unique<core::im::ImService>(*router_, *location_, *users_, shared.config.auth.realm,
                                            *shared.im_store, o, shared.im_services);
  const unsigned id = shard.id();
  routing::ShardRouter* router = router_.get();
  auto mine = shared.im_store->takeLoaded(
      [router, id](std::string_view aor) { return router->ownerOfAor(aor) == id; });
  if (!mine.empty()) {
    LOG_INFO("shard %u: %zu offline messages waiting", id, mine.size());
  }
  im_->loadOffline(std::move(mine));
  if (shared.adapters != nullptr && !shared.adapters->empty()) {
    im_->setServiceInbox(adapters::imServiceInbox(*shared.adapters, id));  // plugin identities
  }
  shared.im_services[id] = im_.get();
}

// The federation edge of this shard: DNS on this shard's loop, and the router's
// resolver for requests our services send to other domains.
void ShardServices::buildFederation(uv::Shard& shard, const config::Config& config) {
  if (!config.federation.enabled) {
    return;
  }
  std::unique_ptr<federation::HopResolver> resolver;
  if (auto made = federation::makeDnsHopResolver(&shard.loop(), config.federation)) {
    resolver = std::move(*made);
  } else {
    LOG_ERROR("shard %u: federation DNS unavailable, only literal next hops work: %s", shard.id(),
              made.error().detail.c_str());
  }
  federation::EdgeOptions options;
  options.realm = config.auth.realm;
  const config::AuthConfig* auth = &config.auth;
  options.is_trusted = [auth](const transport::Address& address) {
    return auth->isTrusted(address.raw());
  };
  options.now_ms = [] { return SystemClock::instance().monotonicMs(); };
  federation_ = std::make_unique<federation::FederationEdge>(config, shared_->us,
                                                             std::move(resolver), options);
  federation::FederationEdge* edge = federation_.get();
  routing::ShardRouter* router = router_.get();
  router_->setDomainResolver([edge, router](const sip::SipMessage& request) {
    return edge->nextHopFor(request, *router);
  });
  router_->setDomainWaiter(
      [edge, router](const sip::SipMessage& request, routing::ShardRouter::HopDone done) {
        edge->nextHopWhenKnown(request, *router, std::move(done));
      });
}

void ShardServices::housekeeping() {
  presence_->runTimers();  // a backstop: its own timer normally fires first
  ms_->housekeeping();
  location_->expire(SystemClock::instance().unixSeconds());
  auth_->sweep();
  if (groupchat_) {
    groupchat_->housekeeping();
  }
  if (im_) {
    im_->housekeeping(SystemClock::instance().unixSeconds(), SystemClock::instance().monotonicMs());
  }
}

// This shard's signer changes at once, so the REGISTER's own 200 is signed; the
// other shards learn it by a post, each on its own thread.
void ShardServices::bindNtlmEverywhere(const transport::Flow& flow, std::string opaque) {
  const unsigned self = router_->shardId();
  for (unsigned id = 0; id < shared_->ntlm_signers.size(); ++id) {
    // The signer is looked up when the task runs, on shard `id`'s thread, which
    // clears its slot when its services go (shutdown).
    auto apply = [shared = shared_, id, flow, opaque] {
      reg::ntlm::NtlmFlowSigner* signer = shared->ntlm_signers[id];
      if (signer == nullptr) {
        return;
      }
      if (opaque.empty()) {
        signer->unbind(flow);
      } else {
        signer->bind(flow, opaque);
      }
    };
    if (id == self) {
      apply();
    } else {
      shared_->post_to_shard(id, std::move(apply));
    }
  }
}

void ShardServices::flowClosed(const transport::Flow& flow) {
  const std::string token = flow.token();
  if (groupchat_) {
    groupchat_->flowClosed(token);
  }
  if (size_t dropped = location_->dropFlow(token); dropped > 0) {
    static auto counter = proxy::counters::get("registrar.dropped_with_connection");
    counter.add(dropped);
  }
  if (ntlm_signer_) {
    ntlm_signer_->unbind(flow);
  }
}

}  // namespace proxy::main
