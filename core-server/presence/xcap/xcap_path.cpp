// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/xcap/xcap_path.h"

#include <cctype>
#include <charconv>
#include <vector>

#include "proxy/base/strings.h"

namespace core::presence::xcap {
namespace {

using proxy::makeError;
using proxy::Result;

constexpr std::string_view kAuid = "resource-lists";
constexpr std::string_view kCapsAuid = "xcap-caps";
constexpr std::string_view kDocument = "index";
constexpr std::string_view kSeparator = "/~~/";
constexpr size_t kMaxSelector = 2048;

// Splits on '/' outside quotes (attribute values may hold slashes: uri="sip:a@b/x").
Result<std::vector<std::string_view>> splitSteps(std::string_view s) {
  std::vector<std::string_view> steps;
  char quote = 0;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '/') {
      steps.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  if (quote != 0) {
    return makeError(400, "XCAP: unterminated quote in the node selector");
  }
  steps.push_back(s.substr(start));
  return steps;
}

struct Step {
  std::string_view name;
  StepPredicate predicate;
  std::string_view attribute;  // of [@attr=...]
};

bool isNameChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == ':' || c == '*';
}

Result<Step> parseStep(std::string_view text) {
  Step step;
  size_t i = 0;
  while (i < text.size() && isNameChar(text[i])) {
    ++i;
  }
  step.name = text.substr(0, i);
  if (step.name.empty()) {
    return makeError(400, "XCAP: empty step in the node selector");
  }
  if (step.name.find(':') != std::string_view::npos) {
    // No query-string namespace bindings (xmlns()) are accepted, so a prefix is unbound.
    return makeError(400, "XCAP: unbound namespace prefix in \"" + std::string(step.name) + "\"");
  }
  std::string_view rest = text.substr(i);
  if (rest.empty()) {
    return step;
  }
  if (rest.front() != '[' || rest.back() != ']') {
    return makeError(400, "XCAP: malformed step \"" + std::string(text.substr(0, 64)) + "\"");
  }
  std::string_view inner = proxy::trim(rest.substr(1, rest.size() - 2));
  if (inner.starts_with('@')) {
    const size_t eq = inner.find('=');
    if (eq == std::string_view::npos) {
      return makeError(400, "XCAP: attribute test without a value");
    }
    step.attribute = proxy::trim(inner.substr(1, eq - 1));
    std::string_view value = proxy::trim(inner.substr(eq + 1));
    if (value.size() < 2 || (value.front() != '"' && value.front() != '\'') ||
        value.back() != value.front()) {
      return makeError(400, "XCAP: attribute value must be quoted");
    }
    value = value.substr(1, value.size() - 2);
    step.predicate.value = std::string(value);
    return step;
  }
  uint32_t position = 0;
  auto [end, ec] = std::from_chars(inner.data(), inner.data() + inner.size(), position);
  if (ec != std::errc() || end != inner.data() + inner.size() || position == 0) {
    return makeError(400,
                     "XCAP: unsupported predicate \"" + std::string(inner.substr(0, 64)) + "\"");
  }
  step.predicate.position = position;
  return step;
}

Result<StepPredicate> predicateFor(const Step& step, std::string_view name, std::string_view key) {
  if (step.name != name) {
    return makeError(404, "XCAP: no <" + std::string(step.name.substr(0, 64)) + "> node here");
  }
  if (!step.predicate.value && !step.predicate.position) {
    return makeError(404, "XCAP: select one <" + std::string(name) + "> by @" + std::string(key) +
                              " or position");
  }
  if (step.predicate.value && step.attribute != key) {
    return makeError(404, "XCAP: <" + std::string(name) + "> is selected by @" + std::string(key));
  }
  return step.predicate;
}

}  // namespace

Result<NodeSelector> parseNodeSelector(std::string_view selector) {
  if (selector.size() > kMaxSelector) {
    return makeError(400, "XCAP: node selector too long");
  }
  auto split = splitSteps(selector);
  if (!split) {
    return split.error();
  }
  std::vector<Step> steps;
  for (std::string_view text : *split) {
    auto step = parseStep(text);
    if (!step) {
      return step.error();
    }
    steps.push_back(std::move(*step));
  }
  NodeSelector node;
  if (steps.front().name != "resource-lists" || steps.front().predicate.value ||
      (steps.front().predicate.position && *steps.front().predicate.position != 1)) {
    return makeError(404, "XCAP: the document's root is <resource-lists>");
  }
  if (steps.size() > 3) {
    return makeError(404, "XCAP: only lists and their entries can be selected");
  }
  if (steps.size() >= 2) {
    auto list = predicateFor(steps[1], "list", "name");
    if (!list) {
      return list.error();
    }
    node.kind = NodeKind::List;
    node.list = std::move(*list);
  }
  if (steps.size() == 3) {
    auto entry = predicateFor(steps[2], "entry", "uri");
    if (!entry) {
      return entry.error();
    }
    node.kind = NodeKind::Entry;
    node.entry = std::move(*entry);
  }
  return node;
}

Result<XcapPath> parseXcapPath(std::string_view path, std::string_view root) {
  while (root.ends_with('/')) {
    root.remove_suffix(1);
  }
  if (!path.starts_with(root) || path.size() <= root.size() || path[root.size()] != '/') {
    return makeError(404, "XCAP: not under the XCAP root");
  }
  std::string_view rest = path.substr(root.size() + 1);
  XcapPath out;
  std::string_view document = rest;
  const size_t tilde = rest.find(kSeparator);
  if (tilde != std::string_view::npos) {
    document = rest.substr(0, tilde);
    auto node = parseNodeSelector(rest.substr(tilde + kSeparator.size()));
    if (!node) {
      return node.error();
    }
    out.node = std::move(*node);
    out.has_node = true;
  }
  if (document == std::string(kCapsAuid) + "/global/" + std::string(kDocument)) {
    if (out.has_node) {
      return makeError(404, "XCAP: no node selectors in xcap-caps");
    }
    out.target = XcapTarget::Caps;
    return out;
  }
  const std::string users = std::string(kAuid) + "/users/";
  if (!document.starts_with(users)) {
    return makeError(404, "XCAP: unknown application usage or document");
  }
  document.remove_prefix(users.size());
  const size_t slash = document.rfind('/');
  if (slash == std::string_view::npos || document.substr(slash + 1) != kDocument) {
    return makeError(404, "XCAP: the only resource-lists document is \"index\"");
  }
  std::string_view xui = document.substr(0, slash);
  if (xui.size() > 4 && proxy::iequals(xui.substr(0, 4), "sip:")) {
    xui.remove_prefix(4);
  }
  const size_t at = xui.find('@');
  if (xui.empty() || at == 0 || at == std::string_view::npos || at + 1 == xui.size() ||
      xui.find_first_of("/;?<> \"") != std::string_view::npos || xui.size() > 256) {
    return makeError(400, "XCAP: the XUI must be a SIP AOR (sip:user@domain)");
  }
  out.user = proxy::toLower(xui);
  return out;
}

}  // namespace core::presence::xcap
