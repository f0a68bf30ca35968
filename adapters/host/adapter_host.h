// SPDX-License-Identifier: Apache-2.0
// The adapter plugin host inside confabd: loads the configured plugins (each on
// its own thread, see plugin.h), routes MESSAGEs addressed to their identities
// to them and their answers back to the shard that holds the request, carries
// out what they ask through the host API (IMs through the IM service, presence
// through the presence service of the shard owning the AOR), and runs the
// watchdog: one thread that reports stalled plugins and answers messages a
// plugin left unanswered for call_timeout_ms (408; 503 once it failed).
//
// A plugin that fails to load or crashes is absent: its identities answer 503
// and the rest of the server runs on.
//
// Lifetime: build before the shards' pipelines (the stage keeps a reference) and
// destroy after the shards: tasks it posts to them and the presence watchers it
// installs capture it. stop() before the shards stop, so no plugin reaches in.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "adapters/host/core_link.h"
#include "adapters/host/plugin.h"
#include "adapters/host/plugin_events.h"
#include "core-server/registrar/user_directory.h"
#include "proxy/config/config.h"

namespace core::presence {
struct Presence;
}

namespace adapters {

// Where the answers to queued MESSAGEs go: one per shard (the AdapterStage).
class MessageSink {
 public:
  virtual ~MessageSink() = default;
  // On the shard's thread: the final status for message `id`.
  virtual void answered(uint64_t id, int status) = 0;
};

class AdapterHost {
 public:
  AdapterHost(const proxy::config::AdaptersConfig& config, CoreLink link);
  ~AdapterHost();
  AdapterHost(const AdapterHost&) = delete;
  AdapterHost& operator=(const AdapterHost&) = delete;

  // Loads every plugin and starts the watchdog. Failures are logged and counted.
  void start();
  // Answers what is pending (503), stops every plugin (bounded), stops the watchdog.
  void stop();
  // The user table for is_local_user (main thread, at start and on every reload).
  void setUsers(std::shared_ptr<const core::registrar::UserTable> users);

  // ---- SIP side (shard threads) ----
  bool empty() const { return plugins_.empty(); }
  size_t runningCount() const;  // any thread
  // The plugin configured for identity `aor` (canonical), loaded or not; nullptr if none.
  const Plugin* pluginFor(std::string_view aor) const;
  // Queues `message` (its id is assigned here) to the plugin owning message.to; the
  // answer later reaches `shard`'s sink. 0 = queued; else the status to answer now.
  int offerMessage(unsigned shard, MessageEvent& message);
  // The same for a message from inside the core (an IM session bridged to page
  // mode): `done` gets the status, run on `shard` (also when it is 503 at once).
  void offerMessage(unsigned shard, MessageEvent message, std::function<void(int)> done);
  // Registers (nullptr: removes) the sink of `shard`; call on that shard's thread.
  void attachSink(unsigned shard, MessageSink* sink);

  // ---- Plugin side (the host API, plugin threads) ----
  const std::string& defaultDomain() const { return domain_; }
  int sendMessage(Plugin& plugin, uint64_t request_id, std::string from, std::string to,
                  std::string content_type, std::string body, bool store_if_offline);
  int answerFromPlugin(Plugin& plugin, uint64_t message_id, int status);
  int publish(Plugin& plugin, std::string identity, PresenceEvent state, uint32_t expires_s);
  int subscribe(Plugin& plugin, std::string aor);
  int unsubscribe(Plugin& plugin, std::string aor);
  bool isLocalUser(std::string_view aor) const;
  // A message the host answers itself (e.g. 501: the plugin takes no messages).
  void answerFromHost(uint64_t message_id, int status);
  // From a plugin's thread after it faulted: its pending messages get 503.
  void pluginFailed(Plugin& plugin);

  // "sip:Alice@Example.test" -> "alice@example.test" when in one of our domains.
  std::optional<std::string> canonical(std::string_view aor) const;

  // ---- Tests ----
  Plugin* plugin(std::string_view name);
  size_t pendingMessages() const;

 private:
  struct Pending {
    size_t plugin;
    unsigned shard;
    int64_t deadline_ms;
    std::function<void(int)> done;  // set: runs on `shard` instead of the shard's sink
  };
  int queueMessage(unsigned shard, MessageEvent& message, std::function<void(int)> done);
  unsigned ownerOf(std::string_view aor) const;
  void deliverAnswer(Pending pending, uint64_t id, int status);
  // Removes and answers every pending message `match` selects.
  template <typename Match>
  void answerPending(Match match, int status_if_usable, int status_if_failed);
  void watchdogMain();

  CoreLink link_;
  std::string domain_;
  std::vector<std::unique_ptr<Plugin>> plugins_;
  std::unordered_map<std::string, size_t> identities_;  // canonical AOR -> plugin index
  std::unique_ptr<std::atomic<MessageSink*>[]> sinks_;  // by shard; each used on its thread

  mutable std::mutex pending_mutex_;
  std::unordered_map<uint64_t, Pending> pending_;
  std::atomic<uint64_t> next_id_{1};

  mutable std::mutex users_mutex_;
  std::shared_ptr<const core::registrar::UserTable> users_;

  std::atomic<bool> stopping_{false};
  bool started_ = false;
  std::thread watchdog_;
  std::mutex watchdog_mutex_;
  std::condition_variable watchdog_cv_;
  bool watchdog_stop_ = false;
};

// A presence as plugins see it (the ABI's fields, on the OCS scale).
PresenceEvent presenceEvent(std::string_view aor, const core::presence::Presence& presence,
                            int64_t now_unix_ms);

}  // namespace adapters
