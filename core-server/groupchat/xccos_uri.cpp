// SPDX-License-Identifier: Apache-2.0
#include "core-server/groupchat/xccos_uri.h"

#include "proxy/base/strings.h"

namespace core::groupchat {
namespace {

constexpr std::string_view kChannelScheme = "ma-chan://";
constexpr std::string_view kCategoryScheme = "ma-cat://";

bool isHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool isLabelChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

std::string_view schemeOf(NodeKind kind) {
  return kind == NodeKind::Channel ? kChannelScheme : kCategoryScheme;
}

}  // namespace

bool isUuid(std::string_view text) {
  if (text.size() != 36) {
    return false;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash_slot = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_slot ? text[i] != '-' : !isHex(text[i])) {
      return false;
    }
  }
  return true;
}

bool isNodeDomain(std::string_view text) {
  if (text.empty() || text.size() > 253) {
    return false;
  }
  size_t label = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '.') {
      // Each label: 1..63 characters, not starting or ending with '-'.
      if (label == 0 || label > 63 || text[i - label] == '-' || text[i - 1] == '-') {
        return false;
      }
      label = 0;
    } else if (isLabelChar(text[i])) {
      ++label;
    } else {
      return false;
    }
  }
  return true;
}

proxy::Result<NodeUri> NodeUri::make(NodeKind kind, std::string_view domain,
                                     std::string_view uuid) {
  if (!isNodeDomain(domain)) {
    return proxy::makeError(400, "node uri: bad domain '" + std::string(domain) + "'");
  }
  if (!isUuid(uuid)) {
    return proxy::makeError(400, "node uri: bad uuid '" + std::string(uuid) + "'");
  }
  return NodeUri(kind, proxy::toLower(domain), proxy::toLower(uuid));
}

proxy::Result<NodeUri> NodeUri::parse(std::string_view text) {
  NodeKind kind = NodeKind::Channel;
  std::string_view rest;
  // The scheme is case-insensitive (RFC 3986 §3.1).
  if (text.size() > kChannelScheme.size() &&
      proxy::iequals(text.substr(0, kChannelScheme.size()), kChannelScheme)) {
    rest = text.substr(kChannelScheme.size());
  } else if (text.size() > kCategoryScheme.size() &&
             proxy::iequals(text.substr(0, kCategoryScheme.size()), kCategoryScheme)) {
    kind = NodeKind::Category;
    rest = text.substr(kCategoryScheme.size());
  } else {
    return proxy::makeError(400,
                            "node uri: not ma-chan:// or ma-cat://: '" + std::string(text) + "'");
  }
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) {
    return proxy::makeError(400, "node uri: missing /<uuid> in '" + std::string(text) + "'");
  }
  return make(kind, rest.substr(0, slash), rest.substr(slash + 1));
}

proxy::Result<NodeUri> NodeUri::parse(std::string_view text, NodeKind kind) {
  auto uri = parse(text);
  if (uri && uri->kind() != kind) {
    return proxy::makeError(400, std::string("node uri: expected ") + std::string(schemeOf(kind)) +
                                     " in '" + std::string(text) + "'");
  }
  return uri;
}

proxy::Result<NodeUri> NodeUri::fromChanId(const ChanId& id) {
  return make(NodeKind::Channel, id.domain, id.value);
}

std::string NodeUri::str() const {
  std::string out(schemeOf(kind_));
  out.append(domain_).append("/").append(uuid_);
  return out;
}

ChanId NodeUri::toChanId(uint32_t key) const { return ChanId{key, domain_, uuid_}; }

}  // namespace core::groupchat
