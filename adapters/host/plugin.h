// SPDX-License-Identifier: Apache-2.0
// One loaded plugin: its shared object, its own thread running its own libuv
// loop, its event queue, and its health (running, failed, stopped). The plugin's
// callbacks run only on that thread, one at a time, inside a FaultTrap (see
// fault_guard.h): the entry point, queued events delivered by a uv_async, and the
// plugin's own handles on the loop. The watchdog (AdapterHost) reads `busy()` to
// report a callback or loop iteration that runs longer than call_timeout_ms.
//
// The object doubles as the plugin's opaque confab_host handle.
#pragma once

#include <uv.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "adapters/api/confab_adapter.h"
#include "adapters/host/event_queue.h"
#include "adapters/host/fault_guard.h"
#include "proxy/base/counters.h"

namespace adapters {

class AdapterHost;

struct PluginOptions {
  std::string name;
  std::string path;
  std::string config_yaml;
  std::vector<std::string> identities;  // canonical AORs
  uint32_t call_timeout_ms = 2000;
  uint32_t queue_limit = 10000;
};

// The per-message counters, interned once: bumping them takes no lock.
struct PluginCounters {
  explicit PluginCounters(const std::string& name);
  proxy::counters::Counter messages, answered, refused, sent, timeouts, unavailable;
};

class Plugin {
 public:
  enum class State { Idle, Running, Failed, Stopped };

  Plugin(AdapterHost& host, PluginOptions options, size_t index);
  ~Plugin();
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  // Loads the shared object and runs the entry point on the plugin's thread.
  // False (logged, counted) when it could not: the plugin stays absent.
  bool start();
  // Calls stop(), drains the loop (at most 5 s), dlcloses. Returns false when the
  // thread could not be joined in time (stuck in a callback): the caller must then
  // keep this object alive forever, as that thread still uses it.
  bool stop();

  // From any thread. False = dropped (failed, stopping or queue full; counted).
  bool post(PluginEvent&& event);

  bool usable() const { return state_.load() == State::Running; }
  // stop() could not join the thread: this object must never be destroyed.
  bool abandoned() const { return abandoned_; }
  State state() const { return state_.load(); }
  const PluginOptions& options() const { return options_; }
  const std::string& name() const { return options_.name; }
  size_t index() const { return index_; }
  bool ownsIdentity(std::string_view aor) const;

  // Watchdog, from its thread: reports a callback (or loop iteration) running
  // longer than call_timeout_ms, once per occurrence.
  void checkStall(int64_t now_ms);

  // ---- Used by the host API functions (plugin thread) ----
  static Plugin* fromHandle(confab_host* host) { return reinterpret_cast<Plugin*>(host); }
  confab_host* handle() { return reinterpret_cast<confab_host*>(this); }
  static Plugin* current();  // the plugin whose thread this is, or nullptr
  uv_loop_t* loop() { return &loop_; }
  AdapterHost& host() { return host_; }
  std::set<std::string>& subscriptions() { return subscriptions_; }  // plugin thread only
  std::atomic<uint32_t>& pendingSends() { return pending_sends_; }
  bool stopping() const { return stopping_.load(); }
  void count(std::string_view suffix, uint64_t n = 1) const;  // cold paths
  const PluginCounters& counters() const { return counters_; }

 private:
  void threadMain();
  void runGuarded();
  void onFault(int signal);
  // True when start() took `ok` (it was still waiting) and it was a success.
  bool reportInit(bool ok);
  void dispatch();
  void beginStop();
  bool validateTable(std::string& why) const;
  template <typename F>
  void call(const char* what, F&& f);
  void wake();

  AdapterHost& host_;
  const PluginOptions options_;
  const size_t index_;
  EventQueue queue_;
  void* library_ = nullptr;
  confab_adapter_init_fn init_ = nullptr;
  confab_plugin table_{};
  std::atomic<State> state_{State::Idle};
  std::atomic<bool> stopping_{false};
  std::thread thread_;

  uv_loop_t loop_{};
  uv_async_t wake_{};
  uv_timer_t drain_timer_{};
  bool draining_ = false;  // drain_timer_ is initialised (plugin thread)
  std::mutex wake_mutex_;  // guards uv_async_send against the handle's close
  bool wake_open_ = false;

  // Init hand-shake and thread exit, for bounded waits on the main thread.
  std::mutex life_mutex_;
  std::condition_variable life_cv_;
  bool init_done_ = false;
  bool init_ok_ = false;
  bool exited_ = false;
  bool stop_requested_ = false;
  bool loop_clean_ = false;  // the loop closed with no handle left: safe to dlclose
  bool abandoned_ = false;

  // What the thread is doing for the watchdog: 0 = waiting for events.
  std::atomic<int64_t> busy_since_ms_{0};
  std::atomic<const char*> busy_in_{""};
  std::atomic<int64_t> reported_since_ms_{0};
  std::atomic<int64_t> ping_sent_ms_{0};  // the watchdog's unanswered wake-up, 0 = none

  std::set<std::string> subscriptions_;
  PluginEvent current_;  // being delivered (plugin thread)
  std::atomic<uint32_t> pending_sends_{0};
  proxy::counters::Counter dropped_;
  const PluginCounters counters_;
};

}  // namespace adapters
