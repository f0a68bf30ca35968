// SPDX-License-Identifier: Apache-2.0
#include "adapters/host/adapter_host.h"

#include <chrono>

#include "core-server/im/stages/im_service.h"
#include "core-server/presence/service/presence_service.h"
#include "proxy/base/clock.h"
#include "proxy/base/counters.h"
#include "proxy/base/log.h"
#include "proxy/base/strings.h"
#include "proxy/uv/shard.h"

namespace adapters {

namespace {

constexpr size_t kMaxSubscriptions = 100000;
constexpr int64_t kWatchdogTickMs = 25;

int64_t nowMs() { return proxy::SystemClock::instance().monotonicMs(); }

int64_t unixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Plugins whose thread could not be joined: that thread still uses them, so
// they live until the process ends (reachable, so not reported as leaks).
std::vector<std::unique_ptr<Plugin>>& graveyard() {
  static auto* plugins = new std::vector<std::unique_ptr<Plugin>>();
  return *plugins;
}

uint64_t watcherId(const Plugin& plugin) { return (uint64_t{1} << 62) | plugin.index(); }

}  // namespace

PresenceEvent presenceEvent(std::string_view aor, const core::presence::Presence& presence,
                            int64_t now_unix_ms) {
  using core::presence::AvailabilityBand;
  PresenceEvent event;
  event.aor = std::string(aor);
  const AvailabilityBand band = presence.band();
  event.availability = band == AvailabilityBand::Unknown ? core::presence::kAvailabilityOffline
                                                         : presence.availability;
  event.activity = presence.activity.token;
  if (presence.note) {
    event.note = presence.note->text;
  }
  event.im_capable = band != AvailabilityBand::Unknown && band != AvailabilityBand::Offline &&
                     presence.caps.im.value_or(true);
  event.sequence = presence.sequence;
  event.changed_at_ms = now_unix_ms;
  return event;
}

AdapterHost::AdapterHost(const proxy::config::AdaptersConfig& config, CoreLink link)
    : link_(std::move(link)),
      domain_(link_.domains.empty() ? std::string() : link_.domains.front()),
      sinks_(new std::atomic<MessageSink*>[link_.shards == 0 ? 1 : link_.shards]) {
  for (unsigned i = 0; i < std::max(1u, link_.shards); ++i) {
    sinks_[i] = nullptr;
  }
  for (const proxy::config::AdapterConfig& c : config.plugins) {
    PluginOptions o;
    o.name = c.name;
    o.path = c.path;
    o.config_yaml = c.config_yaml;
    o.call_timeout_ms = c.call_timeout_ms;
    o.queue_limit = c.queue_limit;
    for (const std::string& identity : c.identities) {
      if (auto aor = canonical(identity)) {
        o.identities.push_back(*aor);
        identities_.emplace(*aor, plugins_.size());
      }
    }
    plugins_.push_back(std::make_unique<Plugin>(*this, std::move(o), plugins_.size()));
  }
}

AdapterHost::~AdapterHost() {
  stop();
  for (auto& plugin : plugins_) {
    if (plugin->abandoned()) {
      graveyard().push_back(std::move(plugin));
    }
  }
}

void AdapterHost::start() {
  if (started_ || plugins_.empty()) {
    return;
  }
  started_ = true;
  size_t loaded = 0;
  for (auto& plugin : plugins_) {
    loaded += plugin->start() ? 1 : 0;
  }
  LOG_INFO("adapters: %zu of %zu plugin%s running", loaded, plugins_.size(),
           plugins_.size() == 1 ? "" : "s");
  watchdog_ = std::thread([this] { watchdogMain(); });
}

void AdapterHost::stop() {
  if (!started_ || stopping_.exchange(true)) {
    return;
  }
  {
    std::lock_guard lock(watchdog_mutex_);
    watchdog_stop_ = true;
  }
  watchdog_cv_.notify_all();
  if (watchdog_.joinable()) {
    watchdog_.join();
  }
  answerPending([](const Pending&) { return true; }, 503, 503);
  for (auto& plugin : plugins_) {
    plugin->stop();
  }
}

void AdapterHost::setUsers(std::shared_ptr<const core::registrar::UserTable> users) {
  std::lock_guard lock(users_mutex_);
  users_ = std::move(users);
}

std::optional<std::string> AdapterHost::canonical(std::string_view aor) const {
  aor = proxy::trim(aor);
  if (aor.size() > 4 && proxy::toLower(aor.substr(0, 4)) == "sip:") {
    aor.remove_prefix(4);
  }
  const size_t at = aor.find('@');
  if (aor.empty() || aor.size() > 256 || at == 0 || at == std::string_view::npos ||
      at + 1 == aor.size()) {
    return std::nullopt;
  }
  std::string out = proxy::toLower(aor);
  for (char c : out) {
    if (c <= ' ' || c == '<' || c == '>' || c == ';' || c == '"' || c == 0x7f) {
      return std::nullopt;
    }
  }
  const std::string_view domain = std::string_view(out).substr(at + 1);
  for (const std::string& ours : link_.domains) {
    if (ours == domain) {
      return out;
    }
  }
  return std::nullopt;
}

unsigned AdapterHost::ownerOf(std::string_view aor) const {
  return static_cast<unsigned>(proxy::uv::stableHash(aor) % std::max(1u, link_.shards));
}

const Plugin* AdapterHost::pluginFor(std::string_view aor) const {
  auto it = identities_.find(std::string(aor));
  return it == identities_.end() ? nullptr : plugins_[it->second].get();
}

void AdapterHost::attachSink(unsigned shard, MessageSink* sink) {
  if (shard < std::max(1u, link_.shards)) {
    sinks_[shard] = sink;
  }
}

int AdapterHost::offerMessage(unsigned shard, MessageEvent& message) {
  return queueMessage(shard, message, nullptr);
}

void AdapterHost::offerMessage(unsigned shard, MessageEvent message,
                               std::function<void(int)> done) {
  if (const int status = queueMessage(shard, message, done); status != 0) {
    link_.post_to_shard(shard, [done = std::move(done), status] { done(status); });
  }
}

int AdapterHost::queueMessage(unsigned shard, MessageEvent& message,
                              std::function<void(int)> done) {
  auto it = identities_.find(message.to);
  if (it == identities_.end() || stopping_) {
    return 503;
  }
  Plugin& plugin = *plugins_[it->second];
  if (!plugin.usable()) {
    plugin.counters().refused.add();
    return 503;
  }
  message.id = (uint64_t{shard} << 48) | (next_id_++ & 0xffffffffffffULL);
  const uint64_t id = message.id;
  {
    std::lock_guard lock(pending_mutex_);
    pending_[id] =
        Pending{plugin.index(), shard, nowMs() + plugin.options().call_timeout_ms, std::move(done)};
  }
  if (!plugin.post(MessageEvent(message))) {
    std::lock_guard lock(pending_mutex_);
    pending_.erase(id);
    return 503;
  }
  plugin.counters().messages.add();
  return 0;
}

void AdapterHost::deliverAnswer(Pending pending, uint64_t id, int status) {
  if (!link_.post_to_shard) {
    return;
  }
  const unsigned shard = pending.shard;
  if (pending.done) {
    link_.post_to_shard(shard, [done = std::move(pending.done), status] { done(status); });
    return;
  }
  link_.post_to_shard(shard, [this, shard, id, status] {
    if (MessageSink* sink = sinks_[shard].load()) {
      sink->answered(id, status);
    }
  });
}

int AdapterHost::answerFromPlugin(Plugin& plugin, uint64_t message_id, int status) {
  if (status < 200 || status > 699) {
    return CONFAB_ERR_INVALID;
  }
  Pending pending{};
  {
    std::lock_guard lock(pending_mutex_);
    auto it = pending_.find(message_id);
    if (it == pending_.end() || it->second.plugin != plugin.index()) {
      return CONFAB_ERR_INVALID;  // unknown, or already answered (408 after a timeout)
    }
    pending = it->second;
    pending_.erase(it);
  }
  plugin.counters().answered.add();
  deliverAnswer(std::move(pending), message_id, status);
  return CONFAB_OK;
}

void AdapterHost::answerFromHost(uint64_t message_id, int status) {
  Pending pending{};
  {
    std::lock_guard lock(pending_mutex_);
    auto it = pending_.find(message_id);
    if (it == pending_.end()) {
      return;
    }
    pending = it->second;
    pending_.erase(it);
  }
  deliverAnswer(std::move(pending), message_id, status);
}

template <typename Match>
void AdapterHost::answerPending(Match match, int status_if_usable, int status_if_failed) {
  std::vector<std::pair<uint64_t, Pending>> due;
  {
    std::lock_guard lock(pending_mutex_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (match(it->second)) {
        due.emplace_back(it->first, it->second);
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& [id, pending] : due) {
    const Plugin& plugin = *plugins_[pending.plugin];
    const int status = plugin.usable() ? status_if_usable : status_if_failed;
    (status == 408 ? plugin.counters().timeouts : plugin.counters().unavailable).add();
    deliverAnswer(std::move(pending), id, status);
  }
}

void AdapterHost::pluginFailed(Plugin& plugin) {
  const size_t index = plugin.index();
  answerPending([index](const Pending& p) { return p.plugin == index; }, 503, 503);
}

size_t AdapterHost::runningCount() const {
  size_t running = 0;
  for (const auto& plugin : plugins_) {
    running += plugin->usable() ? 1 : 0;
  }
  return running;
}

size_t AdapterHost::pendingMessages() const {
  std::lock_guard lock(pending_mutex_);
  return pending_.size();
}

Plugin* AdapterHost::plugin(std::string_view name) {
  for (auto& plugin : plugins_) {
    if (plugin->name() == name) {
      return plugin.get();
    }
  }
  return nullptr;
}

void AdapterHost::watchdogMain() {
  proxy::log::setThreadTag("ad-watchdog");
  std::unique_lock lock(watchdog_mutex_);
  while (!watchdog_cv_.wait_for(lock, std::chrono::milliseconds(kWatchdogTickMs),
                                [this] { return watchdog_stop_; })) {
    const int64_t now = nowMs();
    for (auto& plugin : plugins_) {
      plugin->checkStall(now);
    }
    answerPending([now](const Pending& p) { return p.deadline_ms <= now; }, 408, 503);
  }
}

int AdapterHost::sendMessage(Plugin& plugin, uint64_t request_id, std::string from, std::string to,
                             std::string content_type, std::string body, bool store_if_offline) {
  if (stopping_ || plugin.stopping()) {
    return CONFAB_ERR_STOPPED;
  }
  auto from_aor = canonical(from);
  if (!from_aor || !plugin.ownsIdentity(*from_aor)) {
    return CONFAB_ERR_IDENTITY;
  }
  auto to_aor = canonical(to);
  if (!to_aor || content_type.size() > 256) {
    return CONFAB_ERR_INVALID;
  }
  if (plugin.pendingSends() >= plugin.options().queue_limit) {
    return CONFAB_ERR_LIMIT;
  }
  ++plugin.pendingSends();
  core::im::PageMessage m;
  m.from = core::im::aorNameAddr(*from_aor);
  m.to_aor = *to_aor;
  m.to = core::im::aorNameAddr(*to_aor);
  m.content_type = std::move(content_type);
  m.body = std::move(body);
  const unsigned shard = ownerOf(*to_aor);
  Plugin* target = &plugin;
  plugin.counters().sent.add();
  link_.post_to_shard(
      shard, [this, shard, target, request_id, m = std::move(m), store_if_offline]() mutable {
        auto done = [target, request_id](int status) {
          --target->pendingSends();
          target->post(SendResultEvent{request_id, status});
        };
        core::im::ImService* im = link_.im_service ? link_.im_service(shard) : nullptr;
        if (im == nullptr) {
          done(503);
          return;
        }
        im->deliver(std::move(m), store_if_offline, std::move(done));
      });
  return CONFAB_OK;
}

int AdapterHost::publish(Plugin& plugin, std::string identity, PresenceEvent state,
                         uint32_t expires_s) {
  if (stopping_ || plugin.stopping()) {
    return CONFAB_ERR_STOPPED;
  }
  auto aor = canonical(identity);
  if (!aor || !plugin.ownsIdentity(*aor)) {
    return CONFAB_ERR_IDENTITY;
  }
  if (expires_s != 0 && (state.availability < 3000 || state.availability > 18999 ||
                         state.activity.size() > 256 || state.note.size() > 4096)) {
    return CONFAB_ERR_INVALID;
  }
  const std::string source_id = "adapter:" + plugin.name();
  const unsigned shard = ownerOf(*aor);
  link_.post_to_shard(shard, [this, shard, aor = *aor, source_id, state = std::move(state),
                              expires_s] {
    core::presence::PresenceService* presence = link_.presence ? link_.presence(shard) : nullptr;
    if (presence == nullptr) {
      return;
    }
    if (expires_s == 0) {
      presence->removeSource(aor, source_id);
      return;
    }
    core::presence::EndpointPresence endpoint;
    endpoint.source_id = source_id;
    endpoint.dialect = core::presence::Dialect::Api;
    endpoint.availability = state.availability;
    endpoint.activity.token = state.activity;
    if (!state.note.empty()) {
      endpoint.note =
          core::presence::Note{state.note, "", core::presence::NoteType::Personal, 0, 0};
    }
    endpoint.device.caps.im = true;
    presence->setSource(aor, std::move(endpoint), expires_s);
  });
  return CONFAB_OK;
}

int AdapterHost::subscribe(Plugin& plugin, std::string aor_text) {
  if (stopping_ || plugin.stopping()) {
    return CONFAB_ERR_STOPPED;
  }
  auto aor = canonical(aor_text);
  if (!aor) {
    return CONFAB_ERR_INVALID;
  }
  auto& mine = plugin.subscriptions();
  if (mine.count(*aor) == 0 && mine.size() >= kMaxSubscriptions) {
    return CONFAB_ERR_LIMIT;
  }
  // Again for a watched AOR: replaces the watcher, which reports the state at once.
  mine.insert(*aor);
  const unsigned shard = ownerOf(*aor);
  Plugin* target = &plugin;
  link_.post_to_shard(shard, [this, shard, target, aor = *aor] {
    core::presence::PresenceService* presence = link_.presence ? link_.presence(shard) : nullptr;
    if (presence == nullptr) {
      return;
    }
    presence->addLocalWatcher(
        aor, watcherId(*target),
        [target](std::string_view who, const core::presence::Presence& state) {
          target->post(presenceEvent(who, state, unixMs()));
        });
  });
  return CONFAB_OK;
}

int AdapterHost::unsubscribe(Plugin& plugin, std::string aor_text) {
  auto aor = canonical(aor_text);
  if (!aor) {
    return CONFAB_ERR_INVALID;
  }
  if (plugin.subscriptions().erase(*aor) == 0) {
    return CONFAB_OK;
  }
  const unsigned shard = ownerOf(*aor);
  const uint64_t id = watcherId(plugin);
  link_.post_to_shard(shard, [this, shard, id, aor = *aor] {
    if (core::presence::PresenceService* presence =
            link_.presence ? link_.presence(shard) : nullptr) {
      presence->removeLocalWatcher(aor, id);
    }
  });
  return CONFAB_OK;
}

bool AdapterHost::isLocalUser(std::string_view aor_text) const {
  auto aor = canonical(aor_text);
  if (!aor) {
    return false;
  }
  std::lock_guard lock(users_mutex_);
  return users_ != nullptr && users_->find(*aor) != nullptr;
}

}  // namespace adapters
