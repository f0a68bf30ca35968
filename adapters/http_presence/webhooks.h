// SPDX-License-Identifier: Apache-2.0
// Webhooks: on a presence change, POST the user's presence JSON to every webhook whose user
// filter matches, signed with HMAC-SHA256 of the body (header X-Confab-Signature: sha256=<hex>).
// Failed attempts (connection error or non-2xx) are retried with exponential back-off and jitter
// up to a bounded number of attempts; every failed attempt is counted. The client connections are
// libwebsockets client wsis on the plugin's own loop.
#pragma once

#include <libwebsockets.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>

#include "adapters/api/confab_adapter.h"
#include "adapters/http_presence/config.h"

namespace adapters::http_presence {

std::string hmacSha256Hex(std::string_view key, std::string_view data);

class WebhookSender {
 public:
  static constexpr const char* kProtocolName = "confab-webhook";

  WebhookSender(const Config& config, const confab_host_api* api, confab_host* host);
  ~WebhookSender();
  void attach(lws_context* context) { context_ = context; }

  // Queues a delivery of `body` (JSON of aor's presence) to every matching webhook.
  void onChange(const std::string& aor, const std::string& body);
  // The lws callback of the kProtocolName client protocol.
  int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
  // Cancels timers and forgets pending deliveries (before the lws context goes).
  void shutdown();

 private:
  struct Delivery;
  struct RetryTimer {  // standard layout, sul first: the scheduler hands back &sul
    lws_sorted_usec_list_t sul;
    Delivery* delivery;
  };
  struct Delivery {
    uint64_t id = 0;
    size_t hook = 0;
    std::string body;
    std::string signature;
    uint32_t attempt = 0;  // attempts started
    bool in_flight = false;
    int status = 0;  // HTTP status of the current attempt
    RetryTimer timer{};
    WebhookSender* owner = nullptr;
  };

  void start(Delivery& d);
  void finish(uint64_t id, bool ok);
  Delivery* find(void* user);
  void count(const char* name) { api_->count(host_, name, 1); }

  const Config& config_;
  const confab_host_api* api_;
  confab_host* host_;
  lws_context* context_ = nullptr;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<Delivery>> deliveries_;
  std::mt19937 jitter_{std::random_device{}()};
};

}  // namespace adapters::http_presence
