// SPDX-License-Identifier: Apache-2.0
// The C ABI face of the click-to-chat plugin: confab_adapter_init_v1 builds a ChatPlugin that
// joins the host API (IM, presence, counters), the web server and the ChatService. Everything
// runs on the plugin thread; the host calls in one callback at a time.
#include <uv.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "adapters/api/confab_adapter.h"
#include "adapters/click_to_chat/chat_service.h"
#include "adapters/click_to_chat/web_server.h"

namespace adapters::click_to_chat {
namespace {

constexpr uint32_t kPresenceExpiresS = 600;
constexpr uint64_t kRepublishMs = 300 * 1000;  // well inside the publication's lifetime

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class ChatPlugin final : public ChatPort {
 public:
  ChatPlugin(const confab_host_api* api, confab_host* host) : api_(api), host_(host) {}

  int init() {
    auto config = parseChatConfig(api_->config_yaml(host_));
    if (!config) {
      log(CONFAB_LOG_ERROR, config.error().detail);
      return CONFAB_ERR_INVALID;
    }
    service_ = std::make_unique<ChatService>(std::move(*config), *this);
    const ChatConfig& c = service_->config();
    auto* loop = static_cast<uv_loop_t*>(api_->loop(host_));
    WebServer::Handlers handlers{
        [this](uint64_t conn) { return service_->visitorConnected(conn, nowMs()); },
        [this](uint64_t conn, std::string_view frame) {
          service_->visitorFrame(conn, frame, nowMs());
        },
        [this](uint64_t conn) { service_->visitorGone(conn, nowMs()); }};
    auto web = WebServer::start(loop, c, std::move(handlers));
    if (!web) {
      log(CONFAB_LOG_ERROR, web.error().detail);
      return CONFAB_ERR_INVALID;
    }
    web_ = std::move(*web);
    if (!c.port_file.empty()) {
      // Written to a temporary name first so a reader never sees half a number.
      const std::string tmp = c.port_file + ".tmp";
      FILE* f = std::fopen(tmp.c_str(), "w");
      const bool written = f != nullptr && std::fprintf(f, "%u\n", web_->port()) > 0;
      if (f != nullptr) {
        std::fclose(f);
      }
      if (!written || std::rename(tmp.c_str(), c.port_file.c_str()) != 0) {
        log(CONFAB_LOG_WARN, "click_to_chat: cannot write port_file " + c.port_file);
      }
    }
    uv_timer_init(loop, &timer_);
    timer_.data = this;
    uv_timer_start(
        &timer_, [](uv_timer_t* t) { static_cast<ChatPlugin*>(t->data)->onTimer(); }, 1000, 1000);
    for (const std::string& agent : c.agents) {
      if (api_->subscribe(host_, agent.c_str()) != CONFAB_OK) {
        log(CONFAB_LOG_WARN, "click_to_chat: cannot watch agent " + agent);
      }
    }
    publishAvailable(service_->router().anyAvailable());
    log(CONFAB_LOG_INFO, "click_to_chat: web chat on http://" + c.address + ":" +
                             std::to_string(web_->port()) + "/ for " + c.identity + ", " +
                             std::to_string(c.agents.size()) + " agent(s)");
    return CONFAB_OK;
  }

  // ChatPort -----------------------------------------------------------------------------------
  bool sendMessage(uint64_t request_id, const std::string& to_aor, const std::string& text,
                   bool store_if_offline) override {
    return api_->send_message(host_, request_id, service_->config().identity.c_str(),
                              to_aor.c_str(), "text/plain; charset=UTF-8", text.data(), text.size(),
                              store_if_offline ? 1 : 0) == CONFAB_OK;
  }
  void sendToVisitor(uint64_t visitor, const std::string& frame) override {
    web_->send(visitor, frame);
  }
  void closeVisitor(uint64_t visitor) override { web_->close(visitor); }
  void publishAvailable(bool available) override {
    confab_presence p{};
    p.size = sizeof p;
    p.aor = service_->config().identity.c_str();
    p.availability = available ? CONFAB_AVAIL_ONLINE : CONFAB_AVAIL_AWAY;
    p.activity = available ? "" : "away";
    p.note = available ? "Chat with us" : "No agent is available right now";
    p.im_capable = 1;
    if (api_->publish_presence(host_, p.aor, &p, kPresenceExpiresS) != CONFAB_OK) {
      log(CONFAB_LOG_WARN,
          "click_to_chat: cannot publish presence for " + service_->config().identity);
    }
    available_ = available;
    last_publish_ms_ = nowMs();
  }
  void count(const char* name, uint64_t delta) override {
    if (CONFAB_HAS_FIELD(api_, confab_host_api, count) && api_->count != nullptr) {
      api_->count(host_, name, delta);
    }
  }

  // Host callbacks -----------------------------------------------------------------------------
  void onPresence(const confab_presence* p) {
    if (p == nullptr || p->aor == nullptr) {
      return;
    }
    service_->presence(normalizeAor(p->aor), p->availability, p->im_capable != 0, nowMs());
  }
  void onMessage(const confab_message* m) {
    if (m == nullptr || m->from == nullptr) {
      return;
    }
    const std::string_view body(m->body != nullptr ? m->body : "",
                                m->body != nullptr ? m->body_len : 0);
    const int status = service_->agentMessage(
        m->from, m->content_type != nullptr ? m->content_type : "text/plain", body, nowMs());
    api_->answer_message(host_, m->id, status);
  }
  void onSendResult(uint64_t request_id, int32_t status) {
    service_->sendResult(request_id, status, nowMs());
  }
  void stop() {
    uv_timer_stop(&timer_);
    web_->stop();
    // lws finishes on the loop; poll until it has, then free everything from the close callback.
    uv_timer_start(
        &timer_, [](uv_timer_t* t) { static_cast<ChatPlugin*>(t->data)->onStopTimer(); }, 10, 10);
  }

 private:
  void onTimer() {
    const int64_t now = nowMs();
    service_->tick(now);
    if (static_cast<uint64_t>(now - last_publish_ms_) >= kRepublishMs) {
      publishAvailable(available_);
    }
  }
  void onStopTimer() {
    // Bounded: the host gives the loop 5 s to run down after stop().
    if (!web_->finishStop() && ++stop_polls_ < 400) {
      return;
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_),
             [](uv_handle_t* h) { delete static_cast<ChatPlugin*>(h->data); });
  }
  void log(int level, const std::string& text) { api_->log(host_, level, text.c_str()); }

  const confab_host_api* api_;
  confab_host* host_;
  std::unique_ptr<ChatService> service_;
  std::unique_ptr<WebServer> web_;
  uv_timer_t timer_{};
  bool available_ = false;
  int64_t last_publish_ms_ = 0;
  int stop_polls_ = 0;
};

ChatPlugin* self(void* p) { return static_cast<ChatPlugin*>(p); }

}  // namespace
}  // namespace adapters::click_to_chat

extern "C" __attribute__((visibility("default"))) int confab_adapter_init_v1(
    const confab_host_api* api, confab_host* host, confab_plugin* plugin) {
  using adapters::click_to_chat::ChatPlugin;
  using adapters::click_to_chat::self;
  if (api == nullptr || plugin == nullptr || !CONFAB_HAS_FIELD(api, confab_host_api, count) ||
      api->abi_version != CONFAB_ADAPTER_ABI_VERSION) {
    return CONFAB_ERR_INVALID;
  }
  auto chat = std::make_unique<ChatPlugin>(api, host);
  const int rc = chat->init();
  if (rc != CONFAB_OK) {
    return rc;  // nothing was started on the loop
  }
  plugin->size = sizeof(confab_plugin);
  plugin->abi_version = CONFAB_ADAPTER_ABI_VERSION;
  plugin->name = "click_to_chat";
  plugin->self = chat.release();
  plugin->on_presence = [](void* s, const confab_presence* p) { self(s)->onPresence(p); };
  plugin->on_message = [](void* s, const confab_message* m) { self(s)->onMessage(m); };
  plugin->on_send_result = [](void* s, uint64_t id, int32_t status) {
    self(s)->onSendResult(id, status);
  };
  plugin->stop = [](void* s) { self(s)->stop(); };
  return CONFAB_OK;
}
