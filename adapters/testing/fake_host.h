// SPDX-License-Identifier: Apache-2.0
// FakeHost: a stand-in for confabd's plugin host, for unit tests of adapter plugins. It
// implements confab_host_api with in-memory users, runs the plugin's libuv loop on a thread of
// its own (as the real host does), and lets the test thread inject presence changes and IMs and
// observe what the plugin asked the host to do. Injection and observation are thread-safe; the
// plugin's callbacks always run on the loop thread.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "adapters/api/confab_adapter.h"

namespace adapters::testing {

struct FakePresence {
  uint32_t availability = CONFAB_AVAIL_OFFLINE;
  std::string activity;
  std::string note;
  bool im_capable = false;
  uint64_t sequence = 0;
  int64_t changed_at_ms = 0;
};

struct SentMessage {
  uint64_t request_id = 0;
  std::string from, to, content_type, body;
  bool store_if_offline = false;
};

struct PublishedPresence {
  std::string identity;
  FakePresence presence;
  uint32_t expires_s = 0;
};

class FakeHost {
 public:
  explicit FakeHost(std::string config_yaml, std::string domain = "example.test");
  ~FakeHost();
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  // Local users (before or after start). A known user starts offline.
  void addUser(const std::string& aor);
  // Plugin identities (publish_presence / send_message `from` must be one of them).
  void addIdentity(const std::string& aor);
  // The status on_send_result reports for send_message (default 200).
  void setSendStatus(int32_t status);

  // Starts the loop thread and calls `init` on it; returns init's result.
  int start(confab_adapter_init_fn init);
  // dlopen()s a plugin and starts it; returns CONFAB_ERR_INVALID when it cannot be loaded.
  int startLibrary(const std::string& path);
  // Calls the plugin's stop() on its thread, runs the loop until its handles are gone
  // (bounded by 5 s) and joins. Idempotent.
  void stop();

  // Changes a user's presence (sequence + 1) and notifies the plugin if it subscribed.
  void setPresence(const std::string& aor, uint32_t availability, const std::string& activity = "",
                   const std::string& note = "");
  // Delivers an IM to the plugin; returns its message id.
  uint64_t injectMessage(const std::string& from, const std::string& to,
                         const std::string& content_type, const std::string& body);
  // Runs `fn` on the loop thread and waits for it.
  void runOnLoop(const std::function<void()>& fn);

  // Observation (thread-safe snapshots).
  std::set<std::string> subscriptions() const;
  uint64_t subscribeCalls() const;
  uint64_t counter(const std::string& name) const;
  std::vector<std::string> logs() const;
  std::vector<SentMessage> sentMessages() const;
  std::vector<PublishedPresence> published() const;
  std::map<uint64_t, int32_t> answers() const;
  bool started() const { return started_; }

  // Polls `predicate` until it holds or `timeout` passes.
  static bool waitFor(const std::function<bool()>& predicate,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

 private:
  static FakeHost* self(confab_host* host) { return reinterpret_cast<FakeHost*>(host); }
  bool onLoopThread() const { return std::this_thread::get_id() == loop_thread_id_; }
  void post(std::function<void()> task);
  void drain();
  void deliverPresence(const std::string& aor);

  // confab_host_api entries.
  static void apiLog(confab_host* host, int level, const char* message);
  static void* apiLoop(confab_host* host);
  static const char* apiConfig(confab_host* host);
  static const char* apiDomain(confab_host* host);
  static int apiSendMessage(confab_host* host, uint64_t request_id, const char* from,
                            const char* to, const char* content_type, const char* body,
                            size_t body_len, int32_t store_if_offline);
  static int apiAnswer(confab_host* host, uint64_t message_id, int32_t status);
  static int apiPublish(confab_host* host, const char* identity, const confab_presence* presence,
                        uint32_t expires_s);
  static int apiSubscribe(confab_host* host, const char* aor);
  static int apiUnsubscribe(confab_host* host, const char* aor);
  static int apiIsLocalUser(confab_host* host, const char* aor);
  static void apiCount(confab_host* host, const char* name, uint64_t delta);

  const std::string config_yaml_;
  const std::string domain_;
  confab_host_api api_{};
  confab_plugin plugin_{};
  uv_loop_t loop_{};
  uv_async_t wakeup_{};
  std::thread thread_;
  std::thread::id loop_thread_id_;
  void* library_ = nullptr;
  bool started_ = false;
  bool stopped_ = false;

  mutable std::mutex mutex_;  // guards everything below (test code: simplicity over speed)
  std::deque<std::function<void()>> tasks_;
  std::map<std::string, FakePresence> users_;
  std::set<std::string> identities_;
  std::set<std::string> subscriptions_;
  uint64_t subscribe_calls_ = 0;
  std::map<std::string, uint64_t> counters_;
  std::vector<std::string> logs_;
  std::vector<SentMessage> sent_;
  std::vector<PublishedPresence> published_;
  std::map<uint64_t, int32_t> answers_;
  int32_t send_status_ = 200;
  uint64_t next_message_id_ = 1;
};

}  // namespace adapters::testing
