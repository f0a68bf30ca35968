// SPDX-License-Identifier: Apache-2.0
// A small, hostile-input-safe XML tree for XCCOS envelopes, built with expat.
// parseXml() refuses DOCTYPEs and entity declarations outright (no entity
// expansion can happen) and enforces size, depth, element, attribute and text
// limits while parsing, so a peer cannot make us build a large tree. The tree is
// plain values owned by the caller; it is pure (no I/O) and may be used on any
// thread. Namespaces are resolved: every element carries its namespace URI.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"

namespace core::groupchat {

// Limits applied while parsing one envelope. The defaults fit a bjoin of a
// thousand rooms or a 64 KiB chat story with room to spare.
struct XmlLimits {
  size_t max_bytes = 256 * 1024;       // whole document, checked before parsing
  uint32_t max_depth = 16;             // xccos/cmd/data/chanib/msg/chat is 6
  uint32_t max_elements = 4096;        // all elements in the document
  uint32_t max_attributes = 32;        // per element
  size_t max_text_bytes = 128 * 1024;  // character data plus attribute values, decoded
};

struct XmlAttribute {
  std::string ns;    // namespace URI; empty for ordinary unprefixed attributes
  std::string name;  // local name
  std::string value;
};

struct XmlElement {
  std::string ns;                        // namespace URI ("" when the element is in no namespace)
  std::string name;                      // local name
  std::vector<XmlAttribute> attributes;  // document order; xmlns declarations excluded
  std::vector<XmlElement> children;      // document order
  std::string text;  // character data directly inside this element, concatenated

  // The unprefixed attribute `name`, if present.
  std::optional<std::string_view> attribute(std::string_view name) const;
  // The first child element with this namespace and local name, or nullptr.
  const XmlElement* child(std::string_view ns, std::string_view name) const;
  // All child elements with this namespace and local name, in document order.
  std::vector<const XmlElement*> childrenNamed(std::string_view ns, std::string_view name) const;
};

// Parses one complete document. Errors carry status 400 (malformed or hostile)
// or 413 (over max_bytes) and a detail naming the line and the reason.
proxy::Result<XmlElement> parseXml(std::string_view xml, const XmlLimits& limits);

}  // namespace core::groupchat
