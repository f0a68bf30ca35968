// SPDX-License-Identifier: Apache-2.0
// Test helpers for the XCCOS codec (tests only): parse encoder output back with
// the expat-based parseXml() and inspect it by element order and attribute
// values, so tests check structure rather than byte-for-byte strings.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "core-server/groupchat/xccos_names.h"
#include "core-server/groupchat/xccos_xml.h"

namespace core::groupchat::testing {

// Parses `xml` (which must be well-formed) with generous limits.
inline XmlElement parseOrFail(std::string_view xml) {
  auto parsed = parseXml(xml, XmlLimits{});
  INFO(xml);
  REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? "" : parsed.error().detail));
  return std::move(*parsed);
}

// Local names of the element children, in document order.
inline std::vector<std::string> childNames(const XmlElement& element) {
  std::vector<std::string> names;
  for (const XmlElement& child : element.children) {
    names.push_back(child.name);
  }
  return names;
}

// Names of the unprefixed attributes, in document order.
inline std::vector<std::string> attributeNames(const XmlElement& element) {
  std::vector<std::string> names;
  for (const XmlAttribute& attribute : element.attributes) {
    if (attribute.ns.empty()) {
      names.push_back(attribute.name);
    }
  }
  return names;
}

// The value of attribute `name`, or "<absent>".
inline std::string attr(const XmlElement& element, std::string_view name) {
  return std::string(element.attribute(name).value_or("<absent>"));
}

// The index-th child called `name` in the XCCOS namespace; fails the test if absent.
inline const XmlElement& child(const XmlElement& parent, std::string_view name, size_t index = 0) {
  const auto all = parent.childrenNamed(xccos::kNamespace, name);
  INFO("<" << parent.name << "> has no child <" << name << "> #" << index);
  REQUIRE(index < all.size());
  return *all[index];
}

}  // namespace core::groupchat::testing
