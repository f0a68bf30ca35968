// SPDX-License-Identifier: Apache-2.0
#include "adapters/http_presence/config.h"

#include <yaml-cpp/yaml.h>

#include <charconv>

namespace adapters::http_presence {
namespace {

std::vector<std::string> stringList(const YAML::Node& node) {
  std::vector<std::string> out;
  if (node && node.IsSequence()) {
    for (const auto& item : node) {
      if (item.IsScalar()) {
        out.push_back(item.as<std::string>());
      }
    }
  } else if (node && node.IsScalar()) {
    out.push_back(node.as<std::string>());
  }
  return out;
}

template <typename T>
bool readNumber(const YAML::Node& parent, const char* key, T& out, std::string& error) {
  const YAML::Node node = parent[key];
  if (!node) {
    return true;
  }
  T value{};
  if (!node.IsScalar() || !YAML::convert<T>::decode(node, value)) {
    error = std::string("`") + key + "` must be a number";
    return false;
  }
  out = value;
  return true;
}

proxy::Result<Config> parseRoot(const YAML::Node& root) {
  Config c;
  std::string error;
  if (!root || root.IsNull()) {
    return c;
  }
  if (!root.IsMap()) {
    return proxy::makeError(400, "config must be a mapping");
  }
  if (root["address"]) {
    c.address = root["address"].as<std::string>();
  }
  uint32_t port = c.port;
  if (!readNumber(root, "port", port, error) || port > 65535) {
    return proxy::makeError(400, error.empty() ? "`port` out of range" : error);
  }
  c.port = static_cast<uint16_t>(port);
  if (root["port_file"]) {
    c.port_file = root["port_file"].as<std::string>();
  }
  if (const YAML::Node tokens = root["tokens"]; tokens) {
    if (!tokens.IsSequence()) {
      return proxy::makeError(400, "`tokens` must be a list");
    }
    for (const auto& t : tokens) {
      TokenConfig token;
      if (!t.IsMap() || !t["token"] || t["token"].as<std::string>().empty()) {
        return proxy::makeError(400, "every token needs a non-empty `token`");
      }
      token.token = t["token"].as<std::string>();
      for (const std::string& scope : stringList(t["scopes"])) {
        if (scope == "presence:read") {
          token.can_read = true;
        } else if (scope == "presence:write") {
          token.can_write = true;
        } else {
          return proxy::makeError(400, "unknown scope `" + scope + "`");
        }
      }
      token.users = UserFilter(stringList(t["users"]));
      c.tokens.push_back(std::move(token));
    }
  }
  c.cors_origins = stringList(root["cors_origins"]);
  if (const YAML::Node rate = root["rate_limit_per_token"]; rate) {
    if (!readNumber(rate, "requests_per_second", c.requests_per_second, error) ||
        !readNumber(rate, "burst", c.burst, error)) {
      return proxy::makeError(400, error);
    }
    if (c.requests_per_second <= 0 || c.burst < 1) {
      return proxy::makeError(400, "rate limits must be positive");
    }
  }
  if (const YAML::Node hooks = root["webhooks"]; hooks) {
    if (!hooks.IsSequence()) {
      return proxy::makeError(400, "`webhooks` must be a list");
    }
    for (const auto& h : hooks) {
      WebhookConfig hook;
      if (!h.IsMap() || !h["url"]) {
        return proxy::makeError(400, "every webhook needs a `url`");
      }
      hook.url = h["url"].as<std::string>();
      if (!parseHttpUrl(hook.url, hook.host, hook.port, hook.path)) {
        return proxy::makeError(400, "webhook url must be http://host[:port]/path: " + hook.url);
      }
      hook.users = UserFilter(stringList(h["users"]));
      if (h["secret"]) {
        hook.secret = h["secret"].as<std::string>();
      }
      c.webhooks.push_back(std::move(hook));
    }
  }
  if (!readNumber(root, "webhook_attempts", c.webhook_attempts, error) ||
      !readNumber(root, "webhook_retry_base_ms", c.webhook_retry_base_ms, error) ||
      !readNumber(root, "webhook_max_pending", c.webhook_max_pending, error) ||
      !readNumber(root, "max_listeners", c.max_listeners, error) ||
      !readNumber(root, "max_batch", c.max_batch, error) ||
      !readNumber(root, "max_cached_users", c.max_cached_users, error) ||
      !readNumber(root, "idle_unsubscribe_s", c.idle_unsubscribe_s, error) ||
      !readNumber(root, "heartbeat_s", c.heartbeat_s, error) ||
      !readNumber(root, "lookup_timeout_ms", c.lookup_timeout_ms, error)) {
    return proxy::makeError(400, error);
  }
  if (c.webhook_attempts == 0 || c.max_batch == 0 || c.heartbeat_s == 0) {
    return proxy::makeError(400, "webhook_attempts, max_batch and heartbeat_s must be > 0");
  }
  return c;
}

}  // namespace

bool UserFilter::allows(std::string_view aor) const {
  for (const std::string& p : patterns_) {
    if (p.empty()) {
      continue;
    }
    if (p.front() == '@') {
      if (p.size() > 1 && aor.size() > p.size() && aor.ends_with(p)) {
        return true;
      }
    } else if (p == "*" || p == aor) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> UserFilter::exactUsers() const {
  std::vector<std::string> out;
  for (const std::string& p : patterns_) {
    if (p != "*" && !p.starts_with('@')) {
      out.push_back(p);
    }
  }
  return out;
}

const TokenConfig* Config::findToken(std::string_view token) const {
  for (const TokenConfig& t : tokens) {
    if (!token.empty() && t.token == token) {
      return &t;
    }
  }
  return nullptr;
}

bool Config::originAllowed(std::string_view origin) const {
  for (const std::string& o : cors_origins) {
    if (o == "*" || o == origin) {
      return true;
    }
  }
  return false;
}

proxy::Result<Config> parseConfig(std::string_view yaml) {
  try {  // yaml-cpp reports with exceptions; none leaves this function
    return parseRoot(YAML::Load(std::string(yaml)));
  } catch (const std::exception& e) {
    return proxy::makeError(400, std::string("bad config: ") + e.what());
  }
}

bool parseHttpUrl(std::string_view url, std::string& host, uint16_t& port, std::string& path) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    return false;
  }
  url.remove_prefix(kScheme.size());
  const size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  port = 80;
  if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    unsigned value = 0;
    const std::string_view digits = authority.substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size() || value == 0 || value > 65535) {
      return false;
    }
    port = static_cast<uint16_t>(value);
    authority = authority.substr(0, colon);
  }
  host = std::string(authority);
  return !host.empty();
}

}  // namespace adapters::http_presence
