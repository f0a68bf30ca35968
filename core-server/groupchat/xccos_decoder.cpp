// SPDX-License-Identifier: Apache-2.0
#include "core-server/groupchat/xccos_decoder.h"

#include "core-server/groupchat/xccos_command_data.h"
#include "core-server/groupchat/xccos_names.h"
#include "core-server/groupchat/xccos_text.h"
#include "core-server/groupchat/xccos_time.h"

namespace core::groupchat {
namespace {

using proxy::Result;

constexpr std::string_view kCommandPrefix = "cmd:";

// <grpchat id="grpchat" seqid chanUri author ts><chat>…</chat></grpchat>. A bad
// post is InvalidCommand{"grpchat"}: posts have no XCCOS reply, so the session
// answers the INFO with a SIP error, which sipe reports as "not delivered".
ClientMessage decodePost(const XmlElement& post) {
  const auto invalid = [](std::string detail) {
    return InvalidCommand{"grpchat", std::move(detail)};
  };
  if (const auto id = post.attribute("id"); id && *id != "grpchat") {
    return invalid("<grpchat> id must be \"grpchat\"");
  }
  const auto chan_uri = post.attribute("chanUri");
  if (!chan_uri) {
    return invalid("<grpchat> needs a chanUri attribute");
  }
  auto channel = NodeUri::parse(*chan_uri, NodeKind::Channel);
  if (!channel) {
    return invalid(channel.error().detail);
  }
  const XmlElement* chat = post.child(xccos::kNamespace, "chat");
  if (chat == nullptr) {
    return invalid("<grpchat> needs a <chat> child");
  }
  // The parser already refused characters XML cannot carry; this restores the
  // CRLF joins that XML end-of-line handling folded to LF.
  auto text = normalizeChatText(chat->text, ControlChars::Reject);
  if (!text) {
    return invalid(text.error().detail);
  }
  ChatPost out{std::move(*channel), std::string(post.attribute("author").value_or("")),
               std::string(post.attribute("ts").value_or("")), std::nullopt, std::move(*text)};
  if (!out.timestamp.empty()) {
    out.time = parseXccosTime(out.timestamp);
  }
  return out;
}

// The single cmd or grpchat element of a client envelope.
Result<const XmlElement*> soleBodyElement(const XmlElement& root) {
  const XmlElement* body = nullptr;
  for (const XmlElement& child : root.children) {
    if (child.ns != xccos::kNamespace) {
      continue;  // foreign extensions are ignored
    }
    if (body != nullptr) {
      return proxy::makeError(400, "xccos: a client envelope carries exactly one cmd or grpchat");
    }
    body = &child;
  }
  if (body == nullptr) {
    return proxy::makeError(400, "xccos: envelope has no cmd or grpchat");
  }
  if (body->name != "cmd" && body->name != "grpchat") {
    return proxy::makeError(400, "xccos: <" + body->name + "> is not a client message");
  }
  return body;
}

Result<void> checkRoot(const XmlElement& root) {
  if (root.name != "xccos") {
    return proxy::makeError(400, "xccos: root element is <" + root.name + ">, not <xccos>");
  }
  if (root.ns != xccos::kNamespace) {
    return proxy::makeError(400, "xccos: wrong namespace '" + root.ns + "'");
  }
  const auto ver = root.attribute("ver");
  if (!ver) {
    return proxy::makeError(400, "xccos: missing ver");
  }
  if (*ver != xccos::kVersion) {
    return proxy::makeError(400, "xccos: unsupported ver '" + std::string(*ver) + "'");
  }
  return {};
}

}  // namespace

proxy::Result<ClientEnvelope> decodeClient(std::string_view xml, const XmlLimits& limits) {
  auto root = parseXml(xml, limits);
  if (!root) {
    return root.error();
  }
  if (auto checked = checkRoot(*root); !checked) {
    return checked.error();
  }
  auto envid = detail::requireUnsigned(*root, "envid");
  if (!envid) {
    return proxy::makeError(400, "xccos: " + envid.error().detail);
  }
  auto body = soleBodyElement(*root);
  if (!body) {
    return body.error();
  }
  const XmlElement& element = **body;
  auto seqid = detail::requireUnsigned(element, "seqid");
  if (!seqid) {
    return proxy::makeError(400, "xccos: " + seqid.error().detail);
  }
  ClientEnvelope envelope;
  envelope.envid = *envid;
  envelope.seqid = *seqid;
  if (element.name == "grpchat") {
    envelope.name = "grpchat";
    envelope.message = decodePost(element);
    return envelope;
  }
  const auto id = element.attribute("id");
  if (!id || id->size() <= kCommandPrefix.size() ||
      id->substr(0, kCommandPrefix.size()) != kCommandPrefix) {
    return proxy::makeError(400, "xccos: <cmd> id must be \"cmd:<name>\"");
  }
  envelope.name = std::string(id->substr(kCommandPrefix.size()));
  envelope.message =
      detail::decodeCommandData(envelope.name, element.child(xccos::kNamespace, "data"));
  return envelope;
}

std::string_view replyNameFor(std::string_view command_name) {
  if (command_name == "getfutok" || command_name == "getfdtok") {
    return "getftok";
  }
  return command_name;
}

bool isBase64(std::string_view text) {
  if (text.size() % 4 != 0) {
    return false;
  }
  size_t padding = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (c == '=') {
      ++padding;
    } else if (!alphabet || padding > 0) {
      return false;  // a foreign character, or data after padding
    }
  }
  return padding <= 2;
}

}  // namespace core::groupchat
