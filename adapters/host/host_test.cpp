// SPDX-License-Identifier: Apache-2.0
// The plugin host against the C test plugins in adapters/testdata: loading and
// its failures, answers, a crashing plugin beside a healthy one, a blocking
// plugin (stall report, 408 within bounds) and queue overflow. The core is
// faked: posted tasks run at once on the posting thread, with no IM or presence
// service (sends end with 503).
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "adapters/host/adapter_host.h"
#include "adapters/host/host_api.h"
#include "core-server/presence/service/presence_service.h"
#include "core-server/presence/service/service_testing.h"
#include "proxy/base/clock.h"
#include "proxy/base/counters.h"

namespace adapters {
namespace {

std::string pluginPath(const char* name) {
  return std::string(CONFAB_TEST_PLUGIN_DIR) + "/" + name + "_plugin.so";
}

CoreLink fakeLink() {
  CoreLink link;
  link.shards = 1;
  link.post_to_shard = [](unsigned, std::function<void()> task) { task(); };
  link.domains = {"example.test"};
  return link;
}

proxy::config::AdapterConfig plugin(std::string name, const char* file, std::string identity,
                                    uint32_t call_timeout_ms = 1000, uint32_t queue_limit = 100,
                                    std::string config_yaml = {}) {
  proxy::config::AdapterConfig c;
  c.name = std::move(name);
  c.path = pluginPath(file);
  c.identities = {std::move(identity)};
  c.call_timeout_ms = call_timeout_ms;
  c.queue_limit = queue_limit;
  c.config_yaml = std::move(config_yaml);
  return c;
}

// Collects answers (from plugin and watchdog threads).
class Answers : public MessageSink {
 public:
  void answered(uint64_t id, int status) override {
    std::lock_guard lock(mutex_);
    statuses_[id] = status;
    at_[id] = proxy::SystemClock::instance().monotonicMs();
    cv_.notify_all();
  }
  // The status for `id`, waiting at most `ms`; 0 when none came.
  int waitFor(uint64_t id, int ms = 3000) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return statuses_.count(id) != 0; });
    return statuses_.count(id) != 0 ? statuses_[id] : 0;
  }
  int64_t answeredAt(uint64_t id) {
    std::lock_guard lock(mutex_);
    return at_[id];
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<uint64_t, int> statuses_;
  std::map<uint64_t, int64_t> at_;
};

MessageEvent message(std::string to, std::string body = "hello") {
  MessageEvent m;
  m.from = "alice@example.test";
  m.to = std::move(to);
  m.content_type = "text/plain";
  m.body = std::move(body);
  return m;
}

uint64_t counter(const std::string& name) { return proxy::counters::get(name).value(); }

template <typename Pred>
bool eventually(Pred pred, int ms = 3000) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string tempFile(const char* tag) {
  return (std::filesystem::temp_directory_path() /
          ("confab-adapter-" + std::string(tag) + "-" + std::to_string(getpid()) + ".log"))
      .string();
}

}  // namespace

TEST_CASE("the echo plugin loads, answers 200 and reports its send result") {
  const std::string out = tempFile("echo");
  std::filesystem::remove(out);
  proxy::config::AdaptersConfig config;
  config.plugins.push_back(
      plugin("echo", "echo", "echo@example.test", 1000, 100, "out: " + out + "\n"));
  Answers answers;
  {
    AdapterHost host(config, fakeLink());
    host.attachSink(0, &answers);
    host.start();
    REQUIRE(host.plugin("echo") != nullptr);
    CHECK(host.plugin("echo")->usable());
    CHECK(host.pluginFor("echo@example.test") == host.plugin("echo"));
    CHECK(host.pluginFor("bob@example.test") == nullptr);
    MessageEvent m = message("echo@example.test");
    REQUIRE(host.offerMessage(0, m) == 0);
    CHECK(answers.waitFor(m.id) == 200);
    // No IM service in this fake core: the echo's reply ends with 503.
    CHECK(eventually([&] { return readFile(out).find("sent 1 503") != std::string::npos; }));
    CHECK(host.pendingMessages() == 0);
    host.stop();
  }
  const std::string log = readFile(out);
  CHECK(log.find("started") != std::string::npos);
  CHECK(log.find("message from=alice@example.test to=echo@example.test send=0 body=hello") !=
        std::string::npos);
  CHECK(log.find("stopped") != std::string::npos);  // stop() ran at unload
  std::filesystem::remove(out);
}

TEST_CASE("plugins that cannot load are reported, counted and absent") {
  const uint64_t failures = counter("adapter.load_failures");
  proxy::config::AdaptersConfig config;
  config.plugins.push_back(plugin("nofile", "no_such", "a@example.test"));
  config.plugins.push_back(plugin("badver", "bad_version", "b@example.test"));
  config.plugins.push_back(plugin("nosym", "missing_symbol", "c@example.test"));
  AdapterHost host(config, fakeLink());
  host.start();
  for (const char* name : {"nofile", "badver", "nosym"}) {
    CAPTURE(name);
    REQUIRE(host.plugin(name) != nullptr);
    CHECK(host.plugin(name)->state() == Plugin::State::Failed);
  }
  CHECK(counter("adapter.load_failures") == failures + 3);
  MessageEvent m = message("b@example.test");
  CHECK(host.offerMessage(0, m) == 503);
  host.stop();
}

TEST_CASE("a crashing plugin is disabled while another keeps working") {
  const uint64_t faults = counter("adapter.faults");
  proxy::config::AdaptersConfig config;
  config.plugins.push_back(plugin("crash", "crash", "crash@example.test"));
  config.plugins.push_back(plugin("echo", "echo", "echo@example.test"));
  Answers answers;
  AdapterHost host(config, fakeLink());
  host.attachSink(0, &answers);
  host.start();
  MessageEvent boom = message("crash@example.test");
  REQUIRE(host.offerMessage(0, boom) == 0);
  CHECK(answers.waitFor(boom.id) == 503);
  CHECK(host.plugin("crash")->state() == Plugin::State::Failed);
  CHECK(counter("adapter.faults") == faults + 1);
  CHECK(counter("adapter.crash.faults") >= 1);
  MessageEvent again = message("crash@example.test");
  CHECK(host.offerMessage(0, again) == 503);  // never called again
  MessageEvent fine = message("echo@example.test");
  REQUIRE(host.offerMessage(0, fine) == 0);
  CHECK(answers.waitFor(fine.id) == 200);
  host.stop();
}

TEST_CASE("a blocking plugin is reported stalled and its messages get 408 in time") {
  const uint64_t stalls = counter("adapter.block.stalls");
  proxy::config::AdaptersConfig config;
  config.plugins.push_back(
      plugin("block", "block", "block@example.test", 200, 100, "sleep_ms: 1200\n"));
  Answers answers;
  AdapterHost host(config, fakeLink());
  host.attachSink(0, &answers);
  host.start();
  const int64_t sent = proxy::SystemClock::instance().monotonicMs();
  MessageEvent first = message("block@example.test");
  MessageEvent second = message("block@example.test");
  REQUIRE(host.offerMessage(0, first) == 0);
  REQUIRE(host.offerMessage(0, second) == 0);  // queued behind the blocked call
  CHECK(answers.waitFor(first.id) == 408);
  CHECK(answers.waitFor(second.id) == 408);
  CHECK(answers.answeredAt(first.id) - sent < 200 + 400);  // timeout + watchdog tick + slack
  CHECK(eventually([&] { return counter("adapter.block.stalls") > stalls; }));
  CHECK(host.plugin("block")->usable());  // slow is not failed
  host.stop();                            // waits for the sleeping call (bounded)
}

TEST_CASE("events beyond queue_limit are dropped and counted") {
  const uint64_t dropped = counter("adapter.slow.dropped");
  proxy::config::AdaptersConfig config;
  config.plugins.push_back(
      plugin("slow", "block", "slow@example.test", 2000, 2, "sleep_ms: 300\n"));
  Answers answers;
  AdapterHost host(config, fakeLink());
  host.attachSink(0, &answers);
  host.start();
  int refused = 0;
  std::vector<uint64_t> queued;
  for (int i = 0; i < 8; ++i) {
    MessageEvent m = message("slow@example.test");
    if (host.offerMessage(0, m) == 503) {
      ++refused;
    } else {
      queued.push_back(m.id);
    }
  }
  CHECK(refused >= 5);  // one in the plugin's hands at most, two queued
  CHECK(counter("adapter.slow.dropped") == dropped + static_cast<uint64_t>(refused));
  host.stop();
  for (uint64_t id : queued) {
    CHECK(answers.waitFor(id) != 0);  // every queued one got an answer (200 or 503 at stop)
  }
}

TEST_CASE("a plugin publishes presence and watches it through the presence service") {
  const std::string out = tempFile("watch");
  std::filesystem::remove(out);
  proxy::ManualClock clock;
  core::presence::testing::RecordingSink sink;
  // Only the plugin thread reaches it: the fake core runs posted tasks inline.
  core::presence::PresenceService service(clock, core::presence::PresenceOptions{}, sink);
  CoreLink link = fakeLink();
  link.presence = [&service](unsigned) { return &service; };
  proxy::config::AdaptersConfig config;
  config.plugins.push_back(plugin("echo", "echo", "echo@example.test", 1000, 100,
                                  "identity: echo@example.test\nout: " + out +
                                      "\nwatch: alice@example.test\nwatch: echo@example.test\n"));
  {
    AdapterHost host(config, std::move(link));
    host.start();
    CHECK(eventually([&] {
      const std::string log = readFile(out);
      return log.find("presence alice@example.test 18500 activity= im=0") != std::string::npos &&
             log.find("presence echo@example.test 3500 activity= im=1 note=echo bot") !=
                 std::string::npos;
    }));
    host.stop();
  }
  CHECK(readFile(out).find("publish echo@example.test 0") != std::string::npos);
  std::filesystem::remove(out);
}

TEST_CASE("messages from inside the core get their status through a callback") {
  proxy::config::AdaptersConfig config;
  config.plugins.push_back(plugin("echo", "echo", "echo@example.test"));
  config.plugins.push_back(plugin("crash", "crash", "crash@example.test"));
  AdapterHost host(config, fakeLink());
  host.start();
  Answers answers;
  host.offerMessage(0, message("echo@example.test"),
                    [&](int status) { answers.answered(1, status); });
  CHECK(answers.waitFor(1) == 200);
  host.offerMessage(0, message("crash@example.test"),
                    [&](int status) { answers.answered(2, status); });
  CHECK(answers.waitFor(2) == 503);
  host.offerMessage(0, message("crash@example.test"),
                    [&](int status) { answers.answered(3, status); });
  CHECK(answers.waitFor(3) == 503);  // refused at once now
  host.stop();
}

TEST_CASE("the host API refuses calls from other threads") {
  proxy::config::AdaptersConfig config;
  config.plugins.push_back(plugin("echo", "echo", "echo@example.test"));
  AdapterHost host(config, fakeLink());
  host.start();
  Plugin* echo = host.plugin("echo");
  REQUIRE(echo != nullptr);
  const confab_host_api& api = hostApi();
  CHECK(api.subscribe(echo->handle(), "alice@example.test") == CONFAB_ERR_THREAD);
  CHECK(api.answer_message(echo->handle(), 1, 200) == CONFAB_ERR_THREAD);
  CHECK(host.canonical("sip:Alice@Example.TEST") ==
        std::optional<std::string>("alice@example.test"));
  CHECK_FALSE(host.canonical("alice@elsewhere.test"));
  CHECK_FALSE(host.canonical("@example.test"));
  host.stop();
}

}  // namespace adapters
