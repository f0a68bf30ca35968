// SPDX-License-Identifier: Apache-2.0
#include "adapters/click_to_chat/chat_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>

namespace adapters::click_to_chat {
namespace {

template <typename T>
proxy::Result<T> scalar(const YAML::Node& map, const char* key, T fallback, T min, T max) {
  const YAML::Node node = map[key];
  if (!node) {
    return fallback;
  }
  T value{};
  if (!YAML::convert<T>::decode(node, value) || value < min || value > max) {
    return proxy::makeError(400, std::string("click_to_chat: `") + key + "` must be a number in " +
                                     std::to_string(min) + ".." + std::to_string(max));
  }
  return value;
}

proxy::Result<std::string> text(const YAML::Node& map, const char* key, std::string fallback) {
  const YAML::Node node = map[key];
  if (!node) {
    return fallback;
  }
  if (!node.IsScalar()) {
    return proxy::makeError(400, std::string("click_to_chat: `") + key + "` must be a string");
  }
  return node.Scalar();
}

proxy::Result<std::vector<std::string>> list(const YAML::Node& map, const char* key) {
  std::vector<std::string> out;
  const YAML::Node node = map[key];
  if (!node) {
    return out;
  }
  if (!node.IsSequence()) {
    return proxy::makeError(400, std::string("click_to_chat: `") + key + "` must be a list");
  }
  for (const YAML::Node& item : node) {
    if (!item.IsScalar()) {
      return proxy::makeError(400, std::string("click_to_chat: `") + key + "` lists strings");
    }
    out.push_back(item.Scalar());
  }
  return out;
}

proxy::Result<ChatConfig> parse(const YAML::Node& root) {
  if (!root.IsMap()) {
    return proxy::makeError(400, "click_to_chat: the config must be a mapping");
  }
  ChatConfig c;
#define CONFAB_TAKE(field, expr) \
  do {                           \
    auto r = (expr);             \
    if (!r) {                    \
      return r.error();          \
    }                            \
    c.field = std::move(*r);     \
  } while (0)
  CONFAB_TAKE(address, text(root, "address", c.address));
  CONFAB_TAKE(port_file, text(root, "port_file", c.port_file));
  CONFAB_TAKE(greeting, text(root, "greeting", c.greeting));
  CONFAB_TAKE(offline_text, text(root, "offline_text", c.offline_text));
  CONFAB_TAKE(port, scalar<uint16_t>(root, "port", 0, 0, 65535));
  CONFAB_TAKE(max_chats_per_agent, scalar<uint32_t>(root, "max_chats_per_agent", 3, 1, 100));
  CONFAB_TAKE(agent_answer_timeout_s,
              scalar<uint32_t>(root, "agent_answer_timeout_s", 60, 1, 3600));
  CONFAB_TAKE(max_visitors, scalar<uint32_t>(root, "max_visitors", 1000, 1, 100000));
  CONFAB_TAKE(max_message_bytes, scalar<uint32_t>(root, "max_message_bytes", 2000, 16, 65536));
  CONFAB_TAKE(allowed_origins, list(root, "allowed_origins"));
  CONFAB_TAKE(identity, text(root, "identity", ""));
#undef CONFAB_TAKE
  const YAML::Node limit = root["visitor_rate_limit"];
  if (limit) {
    if (!limit.IsMap()) {
      return proxy::makeError(400, "click_to_chat: `visitor_rate_limit` must be a mapping");
    }
    auto per10 = scalar<uint32_t>(limit, "messages_per_10s", 10, 1, 1000);
    if (!per10) {
      return per10.error();
    }
    c.messages_per_10s = *per10;
  }
  c.identity = normalizeAor(c.identity);
  if (c.identity.empty()) {
    return proxy::makeError(400, "click_to_chat: `identity` must be an AOR (support@domain)");
  }
  auto agents = list(root, "agents");
  if (!agents) {
    return agents.error();
  }
  for (const std::string& raw : *agents) {
    std::string aor = normalizeAor(raw);
    if (aor.empty()) {
      return proxy::makeError(400, "click_to_chat: agent `" + raw + "` is not an AOR");
    }
    if (std::find(c.agents.begin(), c.agents.end(), aor) == c.agents.end()) {
      c.agents.push_back(std::move(aor));
    }
  }
  if (c.agents.empty()) {
    return proxy::makeError(400, "click_to_chat: `agents` must list at least one AOR");
  }
  return c;
}

}  // namespace

std::string normalizeAor(std::string_view text) {
  if (text.size() > 4 && (text.substr(0, 4) == "sip:" || text.substr(0, 4) == "SIP:")) {
    text.remove_prefix(4);
  }
  const size_t at = text.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == text.size() || text.size() > 256) {
    return {};
  }
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    const auto u = static_cast<unsigned char>(ch);
    if (std::isspace(u) || std::iscntrl(u) || ch == '<' || ch == '>' || ch == ';' || ch == '"') {
      return {};
    }
    // The domain is case-insensitive; the user part is kept as written.
    out.push_back(i > at ? static_cast<char>(std::tolower(u)) : ch);
  }
  if (out.find('@', at + 1) != std::string::npos) {
    return {};
  }
  return out;
}

proxy::Result<ChatConfig> parseChatConfig(std::string_view yaml) {
  // yaml-cpp reports errors by throwing; this runs once at start-up, on the plugin's thread.
  try {
    return parse(YAML::Load(std::string(yaml)));
  } catch (const YAML::Exception& e) {
    return proxy::makeError(400, std::string("click_to_chat: bad config: ") + e.what());
  }
}

}  // namespace adapters::click_to_chat
