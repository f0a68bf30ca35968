// SPDX-License-Identifier: Apache-2.0
#include "adapters/testing/fake_host.h"

#include <dlfcn.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <future>

namespace adapters::testing {
namespace {

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

FakeHost::FakeHost(std::string config_yaml, std::string domain)
    : config_yaml_(std::move(config_yaml)), domain_(std::move(domain)) {
  api_.size = sizeof api_;
  api_.abi_version = CONFAB_ADAPTER_ABI_VERSION;
  api_.log = &FakeHost::apiLog;
  api_.loop = &FakeHost::apiLoop;
  api_.config_yaml = &FakeHost::apiConfig;
  api_.domain = &FakeHost::apiDomain;
  api_.send_message = &FakeHost::apiSendMessage;
  api_.answer_message = &FakeHost::apiAnswer;
  api_.publish_presence = &FakeHost::apiPublish;
  api_.subscribe = &FakeHost::apiSubscribe;
  api_.unsubscribe = &FakeHost::apiUnsubscribe;
  api_.is_local_user = &FakeHost::apiIsLocalUser;
  api_.count = &FakeHost::apiCount;
  plugin_.size = sizeof plugin_;
  uv_loop_init(&loop_);
  uv_async_init(&loop_, &wakeup_,
                [](uv_async_t* async) { static_cast<FakeHost*>(async->data)->drain(); });
  wakeup_.data = this;
}

FakeHost::~FakeHost() {
  stop();
  if (!started_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&wakeup_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  uv_loop_close(&loop_);
  if (library_ != nullptr) {
    dlclose(library_);
  }
}

void FakeHost::addUser(const std::string& aor) {
  std::lock_guard lock(mutex_);
  users_.try_emplace(aor);
}

void FakeHost::addIdentity(const std::string& aor) {
  std::lock_guard lock(mutex_);
  identities_.insert(aor);
}

void FakeHost::setSendStatus(int32_t status) {
  std::lock_guard lock(mutex_);
  send_status_ = status;
}

int FakeHost::start(confab_adapter_init_fn init) {
  if (started_ || init == nullptr) {
    return CONFAB_ERR_INVALID;
  }
  started_ = true;
  std::promise<int> result;
  auto ready = result.get_future();
  thread_ = std::thread([this, init, &result] {
    loop_thread_id_ = std::this_thread::get_id();
    const int rc = init(&api_, reinterpret_cast<confab_host*>(this), &plugin_);
    result.set_value(rc);
    uv_run(&loop_, UV_RUN_DEFAULT);
  });
  const int rc = ready.get();
  if (rc != CONFAB_OK) {
    plugin_ = confab_plugin{};  // a plugin that failed to start is not called again
    plugin_.size = sizeof plugin_;
  }
  return rc;
}

int FakeHost::startLibrary(const std::string& path) {
  library_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library_ == nullptr) {
    std::lock_guard lock(mutex_);
    logs_.push_back(std::string("dlopen: ") + dlerror());
    return CONFAB_ERR_INVALID;
  }
  auto init = reinterpret_cast<confab_adapter_init_fn>(dlsym(library_, CONFAB_ADAPTER_ENTRY));
  return init == nullptr ? CONFAB_ERR_INVALID : start(init);
}

void FakeHost::stop() {
  if (!started_ || stopped_) {
    return;
  }
  stopped_ = true;
  post([this] {
    if (plugin_.stop != nullptr) {
      plugin_.stop(plugin_.self);
    }
    plugin_ = confab_plugin{};
    uv_close(reinterpret_cast<uv_handle_t*>(&wakeup_), nullptr);
    // Bound the run-down: whatever the plugin leaves open after 5 s is closed by force.
    auto* deadline = new uv_timer_t;
    uv_timer_init(&loop_, deadline);
    uv_unref(reinterpret_cast<uv_handle_t*>(deadline));
    uv_timer_start(
        deadline,
        [](uv_timer_t* timer) {
          uv_walk(
              timer->loop,
              [](uv_handle_t* handle, void*) {
                if (!uv_is_closing(handle)) {
                  uv_close(handle, nullptr);
                }
              },
              nullptr);
        },
        5000, 0);
    deadline->data = deadline;
  });
  thread_.join();
  // The deadline timer is unref'd and may still be open: close it (and anything left).
  uv_walk(
      &loop_,
      [](uv_handle_t* handle, void*) {
        if (!uv_is_closing(handle)) {
          uv_close(handle, [](uv_handle_t* h) {
            if (h->type == UV_TIMER && h->data == h) {
              delete reinterpret_cast<uv_timer_t*>(h);
            }
          });
        }
      },
      nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);
}

void FakeHost::post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  uv_async_send(&wakeup_);
}

void FakeHost::drain() {
  for (;;) {
    std::function<void()> task;
    {
      std::lock_guard lock(mutex_);
      if (tasks_.empty()) {
        return;
      }
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

void FakeHost::runOnLoop(const std::function<void()>& fn) {
  if (!started_ || stopped_) {
    return;
  }
  std::promise<void> done;
  auto finished = done.get_future();
  post([&] {
    fn();
    done.set_value();
  });
  finished.wait();
}

void FakeHost::setPresence(const std::string& aor, uint32_t availability,
                           const std::string& activity, const std::string& note) {
  {
    std::lock_guard lock(mutex_);
    FakePresence& p = users_[aor];
    p.availability = availability;
    p.activity = activity;
    p.note = note;
    p.im_capable = availability < CONFAB_AVAIL_OFFLINE;
    p.sequence += 1;
    p.changed_at_ms = nowMs();
  }
  post([this, aor] { deliverPresence(aor); });
}

void FakeHost::deliverPresence(const std::string& aor) {
  FakePresence p;
  {
    std::lock_guard lock(mutex_);
    auto user = users_.find(aor);
    if (user == users_.end() || subscriptions_.count(aor) == 0) {
      return;
    }
    p = user->second;
  }
  if (plugin_.on_presence == nullptr) {
    return;
  }
  confab_presence view{};
  view.size = sizeof view;
  view.aor = aor.c_str();
  view.availability = p.availability;
  view.activity = p.activity.c_str();
  view.note = p.note.c_str();
  view.im_capable = p.im_capable ? 1 : 0;
  view.sequence = p.sequence;
  view.changed_at_ms = p.changed_at_ms;
  plugin_.on_presence(plugin_.self, &view);
}

uint64_t FakeHost::injectMessage(const std::string& from, const std::string& to,
                                 const std::string& content_type, const std::string& body) {
  uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    id = next_message_id_++;
  }
  post([this, id, from, to, content_type, body] {
    if (plugin_.on_message == nullptr) {
      return;
    }
    confab_message m{};
    m.size = sizeof m;
    m.id = id;
    m.from = from.c_str();
    m.to = to.c_str();
    m.content_type = content_type.c_str();
    m.body = body.data();
    m.body_len = body.size();
    m.sent_at_ms = nowMs();
    plugin_.on_message(plugin_.self, &m);
  });
  return id;
}

std::set<std::string> FakeHost::subscriptions() const {
  std::lock_guard lock(mutex_);
  return subscriptions_;
}

uint64_t FakeHost::subscribeCalls() const {
  std::lock_guard lock(mutex_);
  return subscribe_calls_;
}

uint64_t FakeHost::counter(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = counters_.find(name);
  return it == counters_.end() ? 0 : it->second;
}

std::vector<std::string> FakeHost::logs() const {
  std::lock_guard lock(mutex_);
  return logs_;
}

std::vector<SentMessage> FakeHost::sentMessages() const {
  std::lock_guard lock(mutex_);
  return sent_;
}

std::vector<PublishedPresence> FakeHost::published() const {
  std::lock_guard lock(mutex_);
  return published_;
}

std::map<uint64_t, int32_t> FakeHost::answers() const {
  std::lock_guard lock(mutex_);
  return answers_;
}

bool FakeHost::waitFor(const std::function<bool()>& predicate, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void FakeHost::apiLog(confab_host* host, int level, const char* message) {
  static const char* const kLevels[] = {"debug", "info", "warn", "error"};
  const char* name = level >= 0 && level <= 3 ? kLevels[level] : "?";
  if (std::getenv("CONFAB_FAKE_HOST_LOG") != nullptr) {  // for debugging a plugin's test
    std::fprintf(stderr, "[plugin %s] %s\n", name, message ? message : "");
  }
  std::lock_guard lock(self(host)->mutex_);
  self(host)->logs_.push_back(std::string(name) + ": " + (message ? message : ""));
}

void* FakeHost::apiLoop(confab_host* host) { return &self(host)->loop_; }

const char* FakeHost::apiConfig(confab_host* host) { return self(host)->config_yaml_.c_str(); }

const char* FakeHost::apiDomain(confab_host* host) { return self(host)->domain_.c_str(); }

int FakeHost::apiSendMessage(confab_host* host, uint64_t request_id, const char* from,
                             const char* to, const char* content_type, const char* body,
                             size_t body_len, int32_t store_if_offline) {
  FakeHost* h = self(host);
  if (!h->onLoopThread()) {
    return CONFAB_ERR_THREAD;
  }
  if (from == nullptr || to == nullptr || content_type == nullptr || body == nullptr) {
    return CONFAB_ERR_INVALID;
  }
  int32_t status = 0;
  {
    std::lock_guard lock(h->mutex_);
    if (h->identities_.count(from) == 0) {
      return CONFAB_ERR_IDENTITY;
    }
    h->sent_.push_back(SentMessage{request_id, from, to, content_type, std::string(body, body_len),
                                   store_if_offline != 0});
    status = h->users_.count(to) != 0 ? h->send_status_ : 404;
  }
  h->post([h, request_id, status] {
    if (h->plugin_.on_send_result != nullptr) {
      h->plugin_.on_send_result(h->plugin_.self, request_id, status);
    }
  });
  return CONFAB_OK;
}

int FakeHost::apiAnswer(confab_host* host, uint64_t message_id, int32_t status) {
  FakeHost* h = self(host);
  if (!h->onLoopThread()) {
    return CONFAB_ERR_THREAD;
  }
  std::lock_guard lock(h->mutex_);
  h->answers_[message_id] = status;
  return CONFAB_OK;
}

int FakeHost::apiPublish(confab_host* host, const char* identity, const confab_presence* presence,
                         uint32_t expires_s) {
  FakeHost* h = self(host);
  if (!h->onLoopThread()) {
    return CONFAB_ERR_THREAD;
  }
  if (identity == nullptr || presence == nullptr) {
    return CONFAB_ERR_INVALID;
  }
  std::lock_guard lock(h->mutex_);
  if (h->identities_.count(identity) == 0) {
    return CONFAB_ERR_IDENTITY;
  }
  FakePresence p;
  p.availability = presence->availability;
  p.activity = presence->activity != nullptr ? presence->activity : "";
  p.note = presence->note != nullptr ? presence->note : "";
  h->published_.push_back(PublishedPresence{identity, p, expires_s});
  return CONFAB_OK;
}

int FakeHost::apiSubscribe(confab_host* host, const char* aor) {
  FakeHost* h = self(host);
  if (!h->onLoopThread()) {
    return CONFAB_ERR_THREAD;
  }
  if (aor == nullptr) {
    return CONFAB_ERR_INVALID;
  }
  const std::string user(aor);
  {
    std::lock_guard lock(h->mutex_);
    if (h->users_.count(user) == 0) {
      return CONFAB_ERR_INVALID;
    }
    h->subscribe_calls_ += 1;
    h->subscriptions_.insert(user);
  }
  // Like the real host: the current state follows as a separate event, not inside this call.
  h->post([h, user] { h->deliverPresence(user); });
  return CONFAB_OK;
}

int FakeHost::apiUnsubscribe(confab_host* host, const char* aor) {
  FakeHost* h = self(host);
  if (!h->onLoopThread()) {
    return CONFAB_ERR_THREAD;
  }
  std::lock_guard lock(h->mutex_);
  return aor != nullptr && h->subscriptions_.erase(aor) == 1 ? CONFAB_OK : CONFAB_ERR_INVALID;
}

int FakeHost::apiIsLocalUser(confab_host* host, const char* aor) {
  FakeHost* h = self(host);
  std::lock_guard lock(h->mutex_);
  return aor != nullptr && h->users_.count(aor) != 0 ? 1 : 0;
}

void FakeHost::apiCount(confab_host* host, const char* name, uint64_t delta) {
  FakeHost* h = self(host);
  if (name == nullptr) {
    return;
  }
  std::lock_guard lock(h->mutex_);
  h->counters_[name] += delta;
}

}  // namespace adapters::testing
