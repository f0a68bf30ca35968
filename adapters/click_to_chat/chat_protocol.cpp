// SPDX-License-Identifier: Apache-2.0
#include "adapters/click_to_chat/chat_protocol.h"

#include <nlohmann/json.hpp>

namespace adapters::click_to_chat {

std::string cleanText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto u = static_cast<unsigned char>(ch);
    if ((u < 0x20 && ch != '\n' && ch != '\t') || u == 0x7f) {
      continue;
    }
    out.push_back(ch);
  }
  const size_t first = out.find_first_not_of(" \t\n");
  if (first == std::string::npos) {
    return {};
  }
  const size_t last = out.find_last_not_of(" \t\n");
  return out.substr(first, last - first + 1);
}

proxy::Result<VisitorFrame> parseVisitorFrame(std::string_view json, size_t max_text_bytes) {
  // The parser validates UTF-8; `false` = no exceptions, a discarded value on error.
  const nlohmann::json doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return proxy::makeError(400, "not a JSON object");
  }
  const auto type = doc.find("type");
  if (type == doc.end() || !type->is_string()) {
    return proxy::makeError(400, "no type");
  }
  const std::string& name = type->get_ref<const std::string&>();
  VisitorFrame frame;
  if (name == "hello") {
    frame.type = VisitorFrameType::kHello;
  } else if (name == "leave") {
    frame.type = VisitorFrameType::kLeave;
  } else if (name == "typing") {
    frame.type = VisitorFrameType::kTyping;
  } else if (name == "message") {
    frame.type = VisitorFrameType::kMessage;
    const auto text = doc.find("text");
    if (text == doc.end() || !text->is_string()) {
      return proxy::makeError(400, "a message needs a text");
    }
    const std::string& raw = text->get_ref<const std::string&>();
    if (raw.size() > max_text_bytes) {
      return proxy::makeError(413, "message too long");
    }
    frame.text = cleanText(raw);
    if (frame.text.empty()) {
      return proxy::makeError(400, "empty message");
    }
  } else {
    return proxy::makeError(415, "unknown type");
  }
  return frame;
}

std::string serverFrame(std::string_view type, std::string_view text, std::string_view visitor) {
  nlohmann::json doc = {{"type", type}, {"text", text}};
  if (!visitor.empty()) {
    doc["visitor"] = visitor;
  }
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string greetingFrame(std::string_view text, std::string_view visitor, bool available) {
  nlohmann::json doc = {
      {"type", "bot"}, {"text", text}, {"visitor", visitor}, {"available", available}};
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace adapters::click_to_chat
