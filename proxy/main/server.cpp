// SPDX-License-Identifier: Apache-2.0
#include "proxy/main/server.h"

#include <uv.h>

#include <filesystem>
#include <fstream>
#include <latch>
#include <thread>

#include "adapters/host/adapter_host.h"
#include "adapters/metrics/metrics_server.h"
#include "core-server/presence/service/rule_records.h"
#include "core-server/presence/service/rules_version.h"
#include "core-server/presence/service/stored_presence_state.h"
#include "core-server/presence/xcap/xcap_server.h"
#include "core-server/registrar/ntlm/ntlm_crypto.h"
#include "core-server/registrar/ntlm/ntlm_security.h"
#include "core-server/storage/storage_thread.h"
#include "core-server/storage/store.h"
#include "proxy/base/clock.h"
#include "proxy/base/counters.h"
#include "proxy/base/log.h"
#include "proxy/config/transport_protocol.h"
#include "proxy/main/shard_services.h"
#include "proxy/routing/overload.h"
#include "proxy/transport/tls_certificate.h"
#include "proxy/uv/handle.h"
#include "proxy/uv/timer.h"

namespace proxy::main {
namespace {

std::vector<transport::ListenerConfig> listenerConfigs(const config::Config& config) {
  std::vector<transport::ListenerConfig> out;
  for (const auto& l : config.listeners) {
    out.push_back(
        {config::toProtocol(l.transport), l.address, l.port, l.certificate, l.private_key});
  }
  return out;
}

transport::Limits transportLimits(const config::Config& config) {
  transport::Limits limits;
  limits.max_message_size = config.limits.max_message_size;
  limits.max_connections = config.limits.max_connections;
  limits.max_connections_per_source = config.limits.max_connections_per_source;
  limits.idle_timeout_ms = config.limits.tcp_idle_timeout_s * 1000;
  limits.message_timeout_ms = config.limits.tcp_message_timeout_s * 1000;
  limits.requests_per_second_per_source = config.limits.requests_per_second_per_source;
  return limits;
}

std::vector<core::storage::UserRecord> staticUsers(const config::Config& config) {
  std::vector<core::storage::UserRecord> out;
  for (const auto& u : config.users) {
    std::string nt_hash;
    if (auto hash = core::registrar::ntlm::ntHash(u.password); hash && !u.password.empty()) {
      nt_hash = core::registrar::ntlm::toHex(*hash);
    }
    out.push_back({u.aor, config.auth.realm, u.ha1_md5, u.ha1_sha256, std::move(nt_hash)});
  }
  return out;
}

unsigned workerCount(const config::Config& config) {
  if (config.server.workers > 0) {
    return config.server.workers;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

struct Server::Impl {
  config::Config config;
  ServerOptions options;
  std::unique_ptr<core::storage::Store> store;
  std::unique_ptr<core::presence::StoredPresenceState> presence_state;  // over `store`
  // Before the shards: destroyed after them (their tasks and watchers reach it).
  std::unique_ptr<adapters::AdapterHost> adapter_host;
  std::unique_ptr<adapters::metrics::MetricsServer> metrics;
  // XCAP contact lists (presence.xcap); stopped before the shards it posts to.
  std::unique_ptr<core::presence::xcap::XcapServer> xcap;
  std::unique_ptr<uv::ShardSet> shards;
  std::unique_ptr<transport::Transports> transports;
  routing::LocalAddresses us;
  std::unique_ptr<SharedState> shared;
  std::vector<std::unique_ptr<ShardServices>> services;  // by shard id, touched on that shard
  uv_loop_t loop{};
  int exit_code = 0;

  bool prepare();
  bool start();
  void writePortsFile();
  void buildAdapters();
  void startAdapters();
  void startXcap();
  void refreshUsers(const char* why);
  // confabctl's `presence rule` changes: the stored rules are compared with the
  // last snapshot and what changed goes to the shards owning the presentities.
  void refreshPresenceRules();
  std::vector<core::presence::PresenceRecord> presence_rules;
  std::string presence_rules_version;  // confabctl moves it after each rule change
  void reload();
  void stop();
  static void logCounters();
};

// Every non-zero counter, one line: on SIGUSR1 and at shutdown.
void Server::Impl::logCounters() {
  std::string line;
  for (const auto& [name, value] : counters::snapshot()) {
    if (value > 0) {
      line += " " + name + "=" + std::to_string(value);
    }
  }
  LOG_INFO("counters:%s", line.empty() ? " (all zero)" : line.c_str());
}

// Federation over TLS: the peers' trust anchors, and the certificate we show
// as a client (federation.tls, else the first TLS listener's); listeners ask
// clients for one so that peers can prove their domain (RFC 5922).
static transport::TlsPeerOptions federationTlsOptions(const config::Config& config) {
  transport::TlsPeerOptions o;
  o.ca_file = config.federation.ca_file;
  o.client_certificate = config.federation.certificate;
  o.client_private_key = config.federation.private_key;
  for (const auto& l : config.listeners) {
    if (o.client_certificate.empty() && l.transport == config::Transport::Tls) {
      o.client_certificate = l.certificate;
      o.client_private_key = l.private_key;
    }
  }
  o.request_client_certificates = true;
  return o;
}

bool Server::Impl::prepare() {
  std::error_code ec;
  std::filesystem::create_directories(config.server.var_dir, ec);
  if (ec) {
    LOG_ERROR("cannot create %s: %s", config.server.var_dir.c_str(), ec.message().c_str());
    return false;
  }
  for (const auto& l : config.listeners) {
    if (l.transport != config::Transport::Tls) {
      continue;
    }
    if (auto error = transport::ensureSelfSignedCertificate(l.certificate, l.private_key,
                                                            config.domains.front())) {
      LOG_ERROR("TLS listener %s:%u: %s", l.address.c_str(), l.port, error->c_str());
      return false;
    }
  }
  core::storage::SqliteOptions so;
  so.path = config.storage.path;
  so.max_batch = config.storage.batch_max;
  so.max_delay_us = config.storage.batch_delay_us;
  std::string error;
  store = core::storage::openSqliteStore(so, &error);
  if (!store) {
    LOG_ERROR("cannot open the store %s: %s", so.path.c_str(), error.c_str());
    return false;
  }
  return true;
}

bool Server::Impl::start() {
  unsigned workers = workerCount(config);
  shards = std::make_unique<uv::ShardSet>(workers);
  transports = std::make_unique<transport::Transports>(*shards, listenerConfigs(config),
                                                       transportLimits(config));
  if (config.federation.enabled) {
    transports->setTlsPeerOptions(federationTlsOptions(config));
  }
  if (auto error = transports->bind()) {
    LOG_ERROR("%s", error->c_str());
    return false;
  }
  std::vector<uint16_t> ports = transports->boundPorts();
  for (const auto& d : config.domains) {
    us.addDomain(d);
  }
  for (size_t i = 0; i < config.listeners.size(); ++i) {
    const auto& l = config.listeners[i];
    us.addListener(config::toProtocol(l.transport), l.address, ports[i]);
  }
  shared = std::unique_ptr<SharedState>(
      new SharedState{config,
                      *store,
                      *transports,
                      us,
                      core::registrar::NonceKey::generate(),
                      core::registrar::UserTable::build(store->loadUsers(), staticUsers(config)),
                      {},
                      {}});
  shared->routers.assign(workers, nullptr);
  shared->post_to_shard = [set = shards.get()](unsigned id, std::function<void()> task) {
    set->shard(id).post(std::move(task));
  };
  if (config.auth.ntlm) {
    shared->ntlm = std::make_unique<core::registrar::ntlm::NtlmSecurity>(
        SystemClock::instance(),
        core::registrar::ntlm::NtlmOptions{
            "SIP Communications Service", config.auth.ntlm_targetname, {}});
  }
  shared->ntlm_signers.assign(workers, nullptr);
  shared->bindings = store->loadBindings();
  presence_state =
      std::make_unique<core::presence::StoredPresenceState>(*store, SystemClock::instance());
  shared->presence_store = presence_state.get();
  // Read before the rules: a change made in between shows as a moved marker next second.
  presence_rules_version = core::presence::rulesVersion(*store);
  routing::overload::configure({config.limits.store_queue_max, config.limits.notify_pending_max,
                                config.limits.overload_retry_after_s},
                               [] { return core::storage::StorageThread::depthInProcess(); });
  shared->presence_records = presence_state->load();
  for (const auto& record : shared->presence_records) {  // confabctl's changes are diffed to this
    if (record.kind == core::presence::RecordKind::Rule) {
      presence_rules.push_back(record);
    }
  }
  services.resize(workers);
  buildAdapters();
  transports->setHandler([this](transport::Inbound&& in) {
    shared->routers[uv::Shard::current()->id()]->onInbound(std::move(in));
  });
  // Bindings and NTLM associations of a closed connection live on every shard.
  transports->setClosedHandler([this](const transport::Flow& flow) {
    for (unsigned id = 0; id < services.size(); ++id) {
      // Always a posted task, also to our own shard: a close can happen inside a
      // stage (a send failing at once) that still uses what flowClosed() ends. The
      // target is looked up when the task runs, on shard `id`'s own thread: at
      // shutdown its services may be gone by then (reset on that same thread).
      shards->shard(id).post([this, id, flow] {
        if (ShardServices* target = services[id].get()) {
          target->flowClosed(flow);
        }
      });
    }
  });
  // Every shard builds its services, then waits until all have, so no message
  // is dispatched to a shard whose router does not exist yet.
  // Shared: the last shard thread may still be inside arrive_and_wait() when the
  // main thread's wait() returns, so the latch must outlive this function.
  auto ready = std::make_shared<std::latch>(workers + 1);
  shards->startAll([this, ready](uv::Shard& shard) {
    services[shard.id()] = std::make_unique<ShardServices>(shard, *shared);
    shared->routers[shard.id()] = &services[shard.id()]->router();
    ready->arrive_and_wait();
    transports->startShard(shard);
  });
  ready->arrive_and_wait();
  shared->bindings.clear();
  shared->bindings.shrink_to_fit();
  shared->presence_records.clear();
  shared->presence_records.shrink_to_fit();
  startAdapters();
  startXcap();  // like the adapters' endpoints: a failure is logged, SIP keeps running
  LOG_INFO("confabd started: %u worker%s, domains %s, %zu users", workers, workers == 1 ? "" : "s",
           config.domains.front().c_str(), shared->users->size());
  writePortsFile();
  return true;
}

// The plugin host reaches each shard's services on that shard's thread only.
void Server::Impl::buildAdapters() {
  adapters::CoreLink link;
  link.shards = shards->size();
  link.post_to_shard = shared->post_to_shard;
  link.im_service = [s = shared.get()](unsigned id) {
    return id < s->im_services.size() ? s->im_services[id] : nullptr;
  };
  link.presence = [this](unsigned id) -> core::presence::PresenceService* {
    ShardServices* s = services[id].get();
    return s != nullptr ? &s->presence() : nullptr;
  };
  link.domains = config.domains;
  adapter_host = std::make_unique<adapters::AdapterHost>(config.adapters, std::move(link));
  adapter_host->setUsers(shared->users);
  shared->adapters = adapter_host.get();
}

// Plugins and the Prometheus endpoint: neither failing stops the server (logged).
void Server::Impl::startAdapters() {
  adapter_host->start();
  if (config.adapters.metrics_address.empty()) {
    return;
  }
  adapters::metrics::MetricsOptions o;
  o.address = config.adapters.metrics_address;
  o.port = config.adapters.metrics_port;
  const double workers = shards->size();
  const double started_s = static_cast<double>(SystemClock::instance().unixSeconds());
  adapters::AdapterHost* host = adapter_host.get();
  o.gauges = [workers, started_s, host] {
    return std::vector<adapters::metrics::Gauge>{
        {"confab_workers", "SIP worker threads", workers},
        {"confab_start_time_seconds", "Unix time the server started", started_s},
        {"confab_adapter_plugins_running", "Adapter plugins loaded and healthy",
         static_cast<double>(host->runningCount())}};
  };
  auto started = adapters::metrics::MetricsServer::start(std::move(o));
  if (!started) {
    LOG_ERROR("metrics: %s", started.error().detail.c_str());
    return;
  }
  metrics = std::move(*started);
}

// The XCAP server: HTTP on its own thread; each operation runs on the shard owning the
// document's user, next to that user's contact list and subscriptions.
void Server::Impl::startXcap() {
  const config::XcapConfig& c = config.presence.xcap;
  if (!c.enabled) {
    return;
  }
  core::presence::xcap::XcapServerOptions o;
  o.http.name = "XCAP server";
  o.http.address = c.address;
  o.http.port = c.port;
  if (c.tls) {
    o.http.certificate = c.certificate;
    o.http.private_key = c.private_key;
  }
  o.root = c.root;
  o.limits.xml.max_bytes = c.max_document_size;
  o.limits.contacts.max_groups = c.max_lists;
  o.limits.contacts.max_contacts = c.max_entries;
  o.limits.max_entries = c.max_entries;
  o.digest.realm = config.auth.realm;
  o.digest.algorithms = config.auth.algorithms;
  o.digest.nonce_lifetime_s = config.auth.nonce_lifetime_s;
  SharedState* s = shared.get();
  const size_t count = shards->size();
  auto run =
      [s, count](
          const std::string& aor,
          std::function<void(core::presence::MsPresence*, core::presence::StandardEventList*)>
              task) {
        const auto owner = static_cast<unsigned>(uv::stableHash(aor) % count);  // ownerOfAor
        s->post_to_shard(owner, [s, owner, task = std::move(task)] {
          core::presence::MsPresence* ms =
              owner < s->ms_presence.size() ? s->ms_presence[owner] : nullptr;
          core::presence::PresenceStage* stage =
              owner < s->presence_stages.size() ? s->presence_stages[owner] : nullptr;
          task(ms, stage != nullptr ? stage->eventList() : nullptr);
        });
      };
  auto started = core::presence::xcap::XcapServer::start(std::move(o), shared->users, run,
                                                         SystemClock::instance());
  if (!started) {
    LOG_ERROR("xcap: %s", started.error().detail.c_str());
    return;
  }
  xcap = std::move(*started);
  LOG_INFO("xcap: contact lists at %s", xcap->rootUrl().c_str());
}

void Server::Impl::writePortsFile() {
  if (options.ports_file.empty()) {
    return;
  }
  std::vector<uint16_t> ports = transports->boundPorts();
  std::string json = "{";
  const char* names[] = {"udp", "tcp", "tls"};
  bool seen[3] = {false, false, false};
  for (size_t i = 0; i < config.listeners.size(); ++i) {
    int t = static_cast<int>(config.listeners[i].transport);
    if (!seen[t]) {
      seen[t] = true;
      json += std::string(json.size() > 1 ? ", " : "") + "\"" + names[t] +
              "\": " + std::to_string(ports[i]);
    }
  }
  if (xcap) {
    json += ", \"xcap\": " + std::to_string(xcap->port());
  }
  json += "}\n";
  std::string tmp = options.ports_file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << json;
  }
  std::filesystem::rename(tmp, options.ports_file);  // atomic: readers never see half a file
}

void Server::Impl::refreshUsers(const char* why) {
  auto table = core::registrar::UserTable::build(store->loadUsers(), staticUsers(config));
  LOG_INFO("users reloaded (%s): %zu users", why, table->size());
  shared->users = table;
  adapter_host->setUsers(table);
  if (xcap) {
    xcap->setUsers(table);
  }
  for (unsigned i = 0; i < shards->size(); ++i) {
    ShardServices* s = services[i].get();
    shards->post(i, [s, table] { s->users().swap(table); });
  }
}

void Server::Impl::refreshPresenceRules() {
  std::string version = core::presence::rulesVersion(*store);  // one row
  if (version == presence_rules_version) {
    return;
  }
  presence_rules_version = std::move(version);
  std::vector<core::presence::PresenceRecord> now;
  for (auto& r : store->loadStates("presence.rule", SystemClock::instance().unixSeconds())) {
    now.push_back({core::presence::RecordKind::Rule, std::move(r.key), std::move(r.aor),
                   std::move(r.value), r.expires_at});
  }
  auto changes = std::make_shared<const std::vector<core::presence::RuleChange>>(
      core::presence::diffRules(presence_rules, now));
  presence_rules = std::move(now);
  if (changes->empty()) {
    return;
  }
  LOG_INFO("presence rules changed by confabctl: %zu", changes->size());
  for (unsigned i = 0; i < shards->size(); ++i) {
    ShardServices* s = services[i].get();
    shards->post(i, [s, changes, i] {
      s->presence().applyRuleChanges(
          *changes, [s, i](std::string_view aor) { return s->router().ownerOfAor(aor) == i; });
    });
  }
}

void Server::Impl::reload() {
  auto fresh = config::loadConfig(options.config_path);
  if (!fresh) {
    LOG_ERROR("reload failed, keeping the running configuration:\n%s",
              fresh.error().detail.c_str());
    return;
  }
  log::setLevel(fresh->server.log_level);
  // Static users and the log level apply live; listeners, workers, storage and
  // limits are read at start only.
  config.users = fresh->users;
  config.server.log_level = fresh->server.log_level;
  refreshUsers("SIGHUP");
  LOG_INFO(
      "configuration reloaded from %s (listener, worker, storage and limit changes "
      "need a restart)",
      options.config_path.c_str());
}

void Server::Impl::stop() {
  LOG_INFO("shutting down");
  xcap.reset();  // before the shards: its operations run there
  metrics.reset();
  adapter_host->stop();  // before the shards: no plugin reaches into a stopping shard
  shards->stopAll([this](uv::Shard& shard) {
    transports->stopShard(shard);
    services[shard.id()].reset();
  });
  store->flush();
  logCounters();
  LOG_INFO("stopped");
}

Server::Server(config::Config config, ServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->options = std::move(options);
}

Server::~Server() = default;

int Server::run() {
  Impl& s = *impl_;
  if (!s.prepare() || !s.start()) {
    return 1;
  }
  uv_loop_init(&s.loop);
  struct Signal {
    uv_signal_t handle;
    Impl* server;
  };
  Signal term{{}, &s}, intr{{}, &s}, hup{{}, &s}, usr1{{}, &s};
  auto on_stop = [](uv_signal_t* h, int) noexcept { uv_stop(h->loop); };
  for (auto [sig, signum, cb] :
       {std::tuple{&term, SIGTERM, +on_stop},
        {&intr, SIGINT, +on_stop},
        {&hup, SIGHUP, +[](uv_signal_t*h, int) noexcept { static_cast<Impl*>(h->data)->reload(); }},
        {&usr1, SIGUSR1, +[](uv_signal_t*, int) noexcept { Impl::logCounters(); }}}) {
    uv_signal_init(&s.loop, &sig->handle);
    sig->handle.data = &s;
    uv_signal_start(&sig->handle, cb, signum);
  }
  // confabctl writes to the same database: pick up user changes within a second.
  auto user_poll = std::make_unique<uv::Timer>(s.loop, [&s] {
    if (s.store->changedExternally()) {
      s.refreshUsers("changed by confabctl");
    }
    s.refreshPresenceRules();  // reads the rules only when confabctl moved their marker
  });
  user_poll->start(1000, 1000);
  // Services drop expired state from memory exactly when it expires; the stored
  // copies (never loaded back once expired) are swept now and then.
  auto state_sweep = std::make_unique<uv::Timer>(
      s.loop, [&s] { s.store->deleteExpiredStates(SystemClock::instance().unixSeconds()); });
  state_sweep->start(60'000, 60'000);
  uv_run(&s.loop, UV_RUN_DEFAULT);

  state_sweep.reset();
  user_poll.reset();
  for (Signal* sig : {&term, &intr, &hup, &usr1}) {
    uv_close(reinterpret_cast<uv_handle_t*>(&sig->handle), nullptr);
  }
  s.stop();
  uv_run(&s.loop, UV_RUN_DEFAULT);  // let the closes finish
  uv_loop_close(&s.loop);
  return s.exit_code;
}

}  // namespace proxy::main
