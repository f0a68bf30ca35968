// SPDX-License-Identifier: Apache-2.0
// The widget's WebSocket protocol: one JSON object per text frame.
//   visitor -> server: {"type":"hello"} | {"type":"message","text":"..."} | {"type":"leave"}
//                      | {"type":"typing"}
//   server -> visitor: {"type":"bot"|"agent"|"system"|"queued"|"offline"|"typing","text":"..."}
//                      (the greeting, the first "bot" frame, also carries "visitor": the
//                      visitor's short id, and "available": whether an agent can take a chat)
// Visitors address nobody: a frame has no recipient field, so the queue is all they can reach.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "proxy/base/result.h"

namespace adapters::click_to_chat {

enum class VisitorFrameType { kHello, kMessage, kLeave, kTyping };

struct VisitorFrame {
  VisitorFrameType type = VisitorFrameType::kHello;
  std::string text;  // kMessage only: trimmed, control characters removed, never empty
};

// Parses one frame; errors carry 400 (malformed), 413 (text over max_text_bytes) or 415
// (unknown type).
proxy::Result<VisitorFrame> parseVisitorFrame(std::string_view json, size_t max_text_bytes);

// One server frame. Invalid UTF-8 in `text` is replaced, never thrown on.
std::string serverFrame(std::string_view type, std::string_view text,
                        std::string_view visitor = {});

// The greeting frame (see above).
std::string greetingFrame(std::string_view text, std::string_view visitor, bool available);

// Trims and drops control characters other than newline and tab (an agent's or a visitor's
// text, before it goes anywhere).
std::string cleanText(std::string_view text);

}  // namespace adapters::click_to_chat
