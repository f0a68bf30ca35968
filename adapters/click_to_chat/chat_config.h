// SPDX-License-Identifier: Apache-2.0
// The click-to-chat plugin's `config:` mapping (see conf/README.md), parsed from the YAML text
// the host hands over. Parsing happens once, at start-up, off the message path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"

namespace adapters::click_to_chat {

struct ChatConfig {
  std::string address = "127.0.0.1";
  uint16_t port = 0;      // 0 = ephemeral; the bound port goes to port_file
  std::string port_file;  // "" = do not write one
  std::string identity;   // the plugin identity visitors' messages come from, "support@dom"
  std::vector<std::string> agents;  // AORs ("alice@dom"), in tie-break order
  uint32_t max_chats_per_agent = 3;
  std::string greeting = "Hi! Connecting you to an agent\u2026";
  std::string offline_text =
      "No agent is available right now \u2014 leave a message and we will get back to you.";
  uint32_t agent_answer_timeout_s = 60;
  uint32_t messages_per_10s = 10;  // visitor_rate_limit.messages_per_10s
  uint32_t max_visitors = 1000;
  uint32_t max_message_bytes = 2000;         // one visitor or agent text, in bytes
  std::vector<std::string> allowed_origins;  // besides the page's own origin; "*" = any
};

// "sip:Alice@Example.test" -> "alice@example.test"; "" when it is not a user@domain AOR.
std::string normalizeAor(std::string_view text);

proxy::Result<ChatConfig> parseChatConfig(std::string_view yaml);

}  // namespace adapters::click_to_chat
