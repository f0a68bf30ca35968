// SPDX-License-Identifier: Apache-2.0
// Test-only: read documents the way sipe does (sipe-xml.c): child lookups by a
// "a/b/c" path of local names, namespaces and prefixes ignored, so a test can
// assert exactly the element and attribute names sipe looks for.
#pragma once

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core-server/presence/xml_tree.h"

namespace core::presence::roaming::testing {

inline XmlDocument parseOk(std::string_view xml) {
  auto r = XmlDocument::parse(xml, XmlLimits{});
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().detail));
  return std::move(*r);
}

// sipe_xml_child(): the first descendant along `path` by local names.
inline std::optional<XmlElement> sipeChild(const XmlElement& from, std::string_view path) {
  std::optional<XmlElement> at = from;
  while (!path.empty() && at) {
    const size_t slash = path.find('/');
    const std::string_view step = path.substr(0, slash);
    std::optional<XmlElement> next;
    for (XmlElement c : at->children()) {
      if (c.local() == step) {
        next = c;
        break;
      }
    }
    at = next;
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  }
  return at;
}

// sipe_xml_child() + sipe_xml_twin(): every sibling with the last step's name.
inline std::vector<XmlElement> sipeChildren(const XmlElement& from, std::string_view path) {
  std::vector<XmlElement> out;
  const size_t slash = path.rfind('/');
  std::optional<XmlElement> parent = slash == std::string_view::npos
                                         ? std::optional<XmlElement>(from)
                                         : sipeChild(from, path.substr(0, slash));
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (parent) {
    for (XmlElement c : parent->children()) {
      if (c.local() == name) {
        out.push_back(c);
      }
    }
  }
  return out;
}

inline std::string attr(const XmlElement& e, std::string_view name) {
  return std::string(e.attribute(name).value_or("<absent>"));
}

}  // namespace core::presence::roaming::testing
