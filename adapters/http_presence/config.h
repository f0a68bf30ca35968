// SPDX-License-Identifier: Apache-2.0
// The HTTP presence plugin's settings, parsed from the `config:` YAML the host hands over.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"

namespace adapters::http_presence {

// Which users a token or webhook may see: "*" (all), "@domain" (a whole domain) or exact AORs.
class UserFilter {
 public:
  UserFilter() = default;
  explicit UserFilter(std::vector<std::string> patterns) : patterns_(std::move(patterns)) {}
  bool allows(std::string_view aor) const;
  // The exact AORs listed (what a webhook can subscribe to up front).
  std::vector<std::string> exactUsers() const;

 private:
  std::vector<std::string> patterns_;
};

struct TokenConfig {
  std::string token;
  bool can_read = false;   // scope presence:read
  bool can_write = false;  // scope presence:write
  UserFilter users;
};

struct WebhookConfig {
  std::string url;  // http://host:port/path
  std::string host;
  uint16_t port = 80;
  std::string path = "/";
  UserFilter users;
  std::string secret;  // HMAC-SHA256 key for the signature header ("" = unsigned)
};

struct Config {
  std::string address = "127.0.0.1";
  uint16_t port = 8088;   // 0 = ephemeral
  std::string port_file;  // where the bound port is written (tests)
  std::vector<TokenConfig> tokens;
  std::vector<std::string> cors_origins;  // "*" or exact origins; empty = no CORS
  double requests_per_second = 20;        // per token
  double burst = 40;
  std::vector<WebhookConfig> webhooks;
  uint32_t webhook_attempts = 5;         // first try plus retries
  uint32_t webhook_retry_base_ms = 500;  // back-off: base * 2^n with jitter, capped at 60 s
  uint32_t webhook_max_pending = 10000;
  uint32_t max_listeners = 20000;     // SSE + WebSocket connections
  uint32_t max_batch = 100;           // users per batch request / stream
  uint32_t max_cached_users = 10000;  // presence cache (subscriptions held at the host)
  uint32_t idle_unsubscribe_s = 300;  // an unwatched cache entry is dropped after this
  uint32_t heartbeat_s = 15;          // SSE comment / WebSocket ping interval
  uint32_t lookup_timeout_ms = 2000;  // wait for the first state of a newly asked user

  const TokenConfig* findToken(std::string_view token) const;
  bool originAllowed(std::string_view origin) const;
};

proxy::Result<Config> parseConfig(std::string_view yaml);

// "http://host:port/path" → host, port, path (plain http only).
bool parseHttpUrl(std::string_view url, std::string& host, uint16_t& port, std::string& path);

}  // namespace adapters::http_presence
