// SPDX-License-Identifier: Apache-2.0
#include "proxy/main/server.h"

#include <uv.h>

#include <filesystem>
#include <fstream>
#include <latch>
#include <thread>

#include "core-server/presence/service/stored_presence_state.h"
#include "core-server/registrar/ntlm/ntlm_crypto.h"
#include "core-server/registrar/ntlm/ntlm_security.h"
#include "core-server/storage/store.h"
#include "proxy/base/clock.h"
#include "proxy/base/counters.h"
#include "proxy/base/log.h"
#include "proxy/main/shard_services.h"
#include "proxy/transport/tls_certificate.h"
#include "proxy/uv/handle.h"
#include "proxy/uv/timer.h"

namespace proxy::main {
namespace {

transport::Protocol toProtocol(config::Transport t) {
  switch (t) {
    case config::Transport::Udp:
      return transport::Protocol::Udp;
    case config::Transport::Tcp:
      return transport::Protocol::Tcp;
    case config::Transport::Tls:
      return transport::Protocol::Tls;
  }
  return transport::Protocol::Udp;
}

std::vector<transport::ListenerConfig> listenerConfigs(const config::Config& config) {
  std::vector<transport::ListenerConfig> out;
  for (const auto& l : config.listeners) {
    out.push_back({toProtocol(l.transport), l.address, l.port, l.certificate, l.private_key});
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
  void refreshUsers(const char* why);
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
    us.addListener(toProtocol(l.transport), l.address, ports[i]);
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
  shared->presence_records = presence_state->load();
  services.resize(workers);
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
  LOG_INFO("confabd started: %u worker%s, domains %s, %zu users", workers, workers == 1 ? "" : "s",
           config.domains.front().c_str(), shared->users->size());
  writePortsFile();
  return true;
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
  for (unsigned i = 0; i < shards->size(); ++i) {
    ShardServices* s = services[i].get();
    shards->post(i, [s, table] { s->users().swap(table); });
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
