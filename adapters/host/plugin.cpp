// SPDX-License-Identifier: Apache-2.0
#include "adapters/host/plugin.h"

#include <dlfcn.h>

#include <chrono>
#include <type_traits>

#include "adapters/host/adapter_host.h"
#include "adapters/host/host_api.h"
#include "proxy/base/clock.h"
#include "proxy/base/log.h"

namespace adapters {

namespace {

thread_local Plugin* t_current = nullptr;
constexpr int64_t kDrainLimitMs = 5000;
constexpr int kEventsPerTurn = 64;

int64_t nowMs() { return proxy::SystemClock::instance().monotonicMs(); }

}  // namespace

PluginCounters::PluginCounters(const std::string& name)
    : messages(proxy::counters::get("adapter." + name + ".messages")),
      answered(proxy::counters::get("adapter." + name + ".answered")),
      refused(proxy::counters::get("adapter." + name + ".refused")),
      sent(proxy::counters::get("adapter." + name + ".sent")),
      timeouts(proxy::counters::get("adapter." + name + ".timeouts")),
      unavailable(proxy::counters::get("adapter." + name + ".unavailable")) {}

Plugin::Plugin(AdapterHost& host, PluginOptions options, size_t index)
    : host_(host),
      options_(std::move(options)),
      index_(index),
      queue_(options_.queue_limit),
      dropped_(proxy::counters::get("adapter." + options_.name + ".dropped")),
      counters_(options_.name) {}

Plugin::~Plugin() { stop(); }

Plugin* Plugin::current() { return t_current; }

void Plugin::count(std::string_view suffix, uint64_t n) const {
  proxy::counters::add("adapter." + options_.name + "." + std::string(suffix), n);
}

bool Plugin::ownsIdentity(std::string_view aor) const {
  for (const std::string& identity : options_.identities) {
    if (identity == aor) {
      return true;
    }
  }
  return false;
}

bool Plugin::start() {
  auto fail = [this](const std::string& why) {
    LOG_ERROR("adapter %s: not loaded: %s (its identities answer 503)", options_.name.c_str(),
              why.c_str());
    proxy::counters::add("adapter.load_failures");
    count("load_failures");
    state_ = State::Failed;
    return false;
  };
  // RTLD_LOCAL: two plugins may define the same symbols without clashing.
  library_ = dlopen(options_.path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library_ == nullptr) {
    const char* error = dlerror();
    return fail("cannot load " + options_.path + ": " + (error != nullptr ? error : "?"));
  }
  void* entry = dlsym(library_, CONFAB_ADAPTER_ENTRY);
  if (entry == nullptr) {
    dlclose(library_);
    library_ = nullptr;
    return fail(options_.path + " does not export " CONFAB_ADAPTER_ENTRY
                                " (not a Confab plugin, or built for another ABI version)");
  }
  init_ = reinterpret_cast<confab_adapter_init_fn>(entry);
  installFaultHandlers();
  if (uv_loop_init(&loop_) != 0) {
    return fail("cannot create its event loop");
  }
  thread_ = std::thread([this] { threadMain(); });
  // The entry point runs on the plugin's thread; wait for it, bounded.
  std::unique_lock lock(life_mutex_);
  const auto limit = std::chrono::milliseconds(options_.call_timeout_ms + 1000);
  if (!life_cv_.wait_for(lock, limit, [this] { return init_done_; })) {
    init_done_ = true;  // whatever the entry point returns later, the plugin stays absent
    init_ok_ = false;
    lock.unlock();
    return fail("its entry point did not return within " +
                std::to_string(options_.call_timeout_ms + 1000) + " ms");
  }
  if (!init_ok_) {
    return fail("its entry point failed (see above)");
  }
  LOG_INFO("adapter %s: loaded %s (%s), %zu identit%s", options_.name.c_str(),
           options_.path.c_str(), table_.name != nullptr ? table_.name : "?",
           options_.identities.size(), options_.identities.size() == 1 ? "y" : "ies");
  return true;
}

bool Plugin::reportInit(bool ok) {
  std::lock_guard lock(life_mutex_);
  const bool taken = !init_done_;  // else start() gave up waiting: it counts as failed
  if (taken) {
    init_done_ = true;
    init_ok_ = ok;
  }
  life_cv_.notify_all();
  return taken && ok;
}

// Marks the thread busy in `what` for the watchdog while `f` (plugin code) runs.
template <typename F>
void Plugin::call(const char* what, F&& f) {
  busy_in_ = what;
  busy_since_ms_ = nowMs();
  f();
  busy_since_ms_ = 0;
}

void Plugin::threadMain() {
  t_current = this;
  proxy::log::setThreadTag("ad-" + options_.name);
  AltSignalStack alt_stack;
  FaultTrap trap;
  setThreadTrap(&trap);
  // Nothing below may live across the jump but `trap` and members.
  if (sigsetjmp(trap.jump, 1) == 0) {
    trap.armed = 1;
    runGuarded();
    trap.armed = 0;
  } else {
    onFault(trap.signal);
  }
  setThreadTrap(nullptr);
  t_current = nullptr;
  std::lock_guard lock(life_mutex_);
  exited_ = true;
  life_cv_.notify_all();
}

void Plugin::runGuarded() {
  int rc = CONFAB_ERR_INVALID;
  table_ = confab_plugin{};
  call("init", [&] { rc = init_(&hostApi(), handle(), &table_); });
  std::string why;
  if (rc < 0) {
    LOG_ERROR("adapter %s: entry point returned %d", options_.name.c_str(), rc);
  } else if (!validateTable(why)) {
    LOG_ERROR("adapter %s: %s", options_.name.c_str(), why.c_str());
    rc = CONFAB_ERR_INVALID;
  }
  if (rc >= 0) {
    uv_async_init(&loop_, &wake_, [](uv_async_t* a) { static_cast<Plugin*>(a->data)->dispatch(); });
    wake_.data = this;
    {
      std::lock_guard lock(wake_mutex_);
      wake_open_ = true;
    }
    state_ = State::Running;  // before start() returns: messages may come at once
    if (!reportInit(true)) {
      LOG_ERROR("adapter %s: its entry point returned too late; the plugin stays absent",
                options_.name.c_str());
      std::lock_guard lock(wake_mutex_);
      wake_open_ = false;
      rc = CONFAB_ERR_INVALID;
    }
  }
  if (rc < 0) {
    state_ = State::Failed;
    queue_.close();
    // The entry point may have opened handles (and so may we): close them all.
    uv_walk(
        &loop_,
        [](uv_handle_t* h, void*) {
          if (!uv_is_closing(h)) {
            uv_close(h, nullptr);
          }
        },
        nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
    loop_clean_ = uv_loop_close(&loop_) == 0;
    reportInit(false);
    return;
  }
  dispatch();                      // events queued while the entry point ran
  uv_run(&loop_, UV_RUN_DEFAULT);  // until beginStop() closed our handles and the drain ended
  state_ = State::Stopped;
  if (draining_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&drain_timer_), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
  }
  uv_walk(
      &loop_,
      [](uv_handle_t* h, void* self) {
        if (h->data != self) {
          LOG_WARN("adapter %s: a %s handle was still open after stop",
                   static_cast<Plugin*>(self)->name().c_str(), uv_handle_type_name(h->type));
        }
      },
      this);
  loop_clean_ = uv_loop_close(&loop_) == 0;
}

bool Plugin::validateTable(std::string& why) const {
  if (table_.abi_version != CONFAB_ADAPTER_ABI_VERSION) {
    why = "ABI mismatch: the plugin was built for ABI version " +
          std::to_string(table_.abi_version) + ", this server speaks version " +
          std::to_string(CONFAB_ADAPTER_ABI_VERSION);
    return false;
  }
  if (table_.size < offsetof(confab_plugin, stop) + sizeof(table_.stop) || table_.size > 65536) {
    why = "ABI mismatch: its confab_plugin table has size " + std::to_string(table_.size) +
          ", expected at least " + std::to_string(sizeof(confab_plugin));
    return false;
  }
  return true;
}

// A fault on this thread: the plugin is gone for good. Its loop, handles and
// memory are abandoned (never run, closed or dlclosed again).
void Plugin::onFault(int signal) {
  const char* in = busy_in_.load();
  busy_since_ms_ = 0;
  state_ = State::Failed;
  queue_.close();
  {
    std::lock_guard lock(wake_mutex_);
    wake_open_ = false;
  }
  LOG_ERROR(
      "adapter %s: CRASHED with %s in %s; the plugin is disabled, its identities answer 503 "
      "and the server goes on (whatever it held is lost)",
      options_.name.c_str(), faultName(signal), in);
  abandoned_ = true;  // its loop and memory stay as they are, reachable, until exit
  proxy::counters::add("adapter.faults");
  count("faults");
  reportInit(false);
  host_.pluginFailed(*this);
  // Wait for shutdown: the thread's exit is what stop() waits for.
  std::unique_lock lock(life_mutex_);
  life_cv_.wait(lock, [this] { return stop_requested_; });
}

void Plugin::wake() {
  std::lock_guard lock(wake_mutex_);
  if (wake_open_) {
    uv_async_send(&wake_);
  }
}

bool Plugin::post(PluginEvent&& event) {
  // Idle: the entry point is running (and may subscribe); dispatched once it returned.
  const State state = state_;
  if (state == State::Failed || state == State::Stopped || stopping_) {
    dropped_.add();
    return false;
  }
  if (!queue_.push(std::move(event))) {
    dropped_.add();
    return false;
  }
  wake();
  return true;
}

void Plugin::dispatch() {
  ping_sent_ms_ = 0;
  if (stopping_) {
    beginStop();
    return;
  }
  // A bounded turn, so that the plugin's own handles on the loop get theirs; the
  // event is a member, not a local: a fault jumps out of here, and what was in
  // flight must stay reachable (the failed plugin is kept, not freed).
  for (int turn = 0; turn < kEventsPerTurn; ++turn) {
    if (stopping_ || state_ != State::Running || !queue_.pop(current_)) {
      return;
    }
    PluginEvent& event = current_;
    if (auto* p = std::get_if<PresenceEvent>(&event)) {
      if (table_.on_presence == nullptr) {
        continue;
      }
      confab_presence out{};
      out.size = sizeof out;
      out.aor = p->aor.c_str();
      out.availability = p->availability;
      out.activity = p->activity.c_str();
      out.note = p->note.c_str();
      out.im_capable = p->im_capable ? 1 : 0;
      out.sequence = p->sequence;
      out.changed_at_ms = p->changed_at_ms;
      call("on_presence", [&] { table_.on_presence(table_.self, &out); });
    } else if (auto* m = std::get_if<MessageEvent>(&event)) {
      if (table_.on_message == nullptr) {
        host_.answerFromHost(m->id, 501);
        continue;
      }
      confab_message out{};
      out.size = sizeof out;
      out.id = m->id;
      out.from = m->from.c_str();
      out.to = m->to.c_str();
      out.content_type = m->content_type.c_str();
      out.body = m->body.data();
      out.body_len = m->body.size();
      out.sent_at_ms = m->sent_at_ms;
      call("on_message", [&] { table_.on_message(table_.self, &out); });
    } else if (auto* r = std::get_if<SendResultEvent>(&event)) {
      if (table_.on_send_result != nullptr) {
        call("on_send_result",
             [&] { table_.on_send_result(table_.self, r->request_id, r->status); });
      }
    }
  }
  wake();  // more are waiting: go on after the loop's next turn
}

// On the plugin thread: the plugin's stop(), then the loop runs until the
// plugin's handles are closed, at most kDrainLimitMs.
void Plugin::beginStop() {
  {
    std::lock_guard lock(wake_mutex_);
    if (!wake_open_) {
      return;
    }
    wake_open_ = false;
  }
  queue_.close();
  if (table_.stop != nullptr) {
    call("stop", [&] { table_.stop(table_.self); });
  }
  wake_.data = this;
  uv_close(reinterpret_cast<uv_handle_t*>(&wake_), nullptr);
  uv_timer_init(&loop_, &drain_timer_);
  draining_ = true;
  drain_timer_.data = this;
  uv_timer_start(
      &drain_timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<Plugin*>(t->data);
        LOG_WARN("adapter %s: handles still open %lld ms after stop(); abandoning them",
                 self->name().c_str(), static_cast<long long>(kDrainLimitMs));
        uv_stop(t->loop);
      },
      kDrainLimitMs, 0);
  uv_unref(reinterpret_cast<uv_handle_t*>(&drain_timer_));  // the plugin's handles keep it alive
}

bool Plugin::stop() {
  if (!thread_.joinable()) {
    return true;  // never started, or stopped already
  }
  stopping_ = true;
  {
    std::lock_guard lock(life_mutex_);
    stop_requested_ = true;
  }
  life_cv_.notify_all();
  wake();
  std::unique_lock lock(life_mutex_);
  const bool exited = life_cv_.wait_for(lock, std::chrono::milliseconds(kDrainLimitMs + 1000),
                                        [this] { return exited_; });
  lock.unlock();
  if (!exited) {
    LOG_ERROR("adapter %s: its thread did not finish (stuck in %s); leaving it running",
              options_.name.c_str(), busy_in_.load());
    thread_.detach();
    abandoned_ = true;
    return false;
  }
  thread_.join();
  // Unloaded only when none of its code can run any more: not after a fault
  // (abandoned as it was), not with handles left on its loop.
  if (!abandoned_ && loop_clean_ && library_ != nullptr) {
    dlclose(library_);
    library_ = nullptr;
  }
  if (state_ == State::Stopped) {
    LOG_INFO("adapter %s: stopped", options_.name.c_str());
  }
  return true;
}

void Plugin::checkStall(int64_t now_ms) {
  if (state_ != State::Running) {
    return;
  }
  int64_t since = busy_since_ms_.load();
  const char* in = busy_in_.load();
  if (since == 0) {
    // Not in one of our calls: is the loop itself answering? (the plugin's own
    // timers and sockets run on it.)
    const int64_t ping = ping_sent_ms_.load();
    if (ping == 0) {
      ping_sent_ms_ = now_ms;
      wake();
      return;
    }
    since = ping;
    in = "its event loop";
  }
  if (now_ms - since <= options_.call_timeout_ms || reported_since_ms_ == since) {
    return;
  }
  reported_since_ms_ = since;
  LOG_WARN("plugin %s stalled in %s for %lld ms", options_.name.c_str(), in,
           static_cast<long long>(now_ms - since));
  proxy::counters::add("adapter.stalls");
  count("stalls");
}

}  // namespace adapters
