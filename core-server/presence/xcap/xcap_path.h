// SPDX-License-Identifier: Apache-2.0
// XCAP request URIs (RFC 4825 §6) for the one application usage we serve, resource-lists
// (RFC 4826), and xcap-caps:
//   <root>/resource-lists/users/<xui>/index[/~~/<node selector>]
//   <root>/xcap-caps/global/index
// The node selectors we evaluate (RFC 4825 §6.3, unprefixed names are in the
// resource-lists namespace, the application usage's default):
//   resource-lists                                   the whole document
//   resource-lists/list[@name="friends"]  or list[2] one list (a group)
//   .../list[...]/entry[@uri="sip:bob@example.test"]  or entry[1]   one entry (a contact)
// Anything else is a 400 (malformed) or 404 (well-formed, but a node we do not model).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/base/result.h"

namespace core::presence::xcap {

// A step's predicate: an attribute value or a 1-based position.
struct StepPredicate {
  std::optional<std::string> value;  // [@name="..."] / [@uri="..."]
  std::optional<uint32_t> position;  // [n]
  bool operator==(const StepPredicate&) const = default;
};

enum class NodeKind : uint8_t { Document, List, Entry };

struct NodeSelector {
  NodeKind kind = NodeKind::Document;
  StepPredicate list;   // List, Entry
  StepPredicate entry;  // Entry
  bool operator==(const NodeSelector&) const = default;
};

enum class XcapTarget : uint8_t { ResourceLists, Caps };

struct XcapPath {
  XcapTarget target = XcapTarget::ResourceLists;
  std::string user;       // the XUI's AOR, lower-case, without "sip:": "alice@example.test"
  NodeSelector node;      // ResourceLists only
  bool has_node = false;  // a node selector was given (even "resource-lists")
};

// Parses a percent-decoded request path under `root` ("/xcap"). 404 for paths outside the
// root, another application usage, a document other than "index" or a node we do not
// model; 400 for a malformed selector or XUI.
proxy::Result<XcapPath> parseXcapPath(std::string_view path, std::string_view root);

// Parses the node selector (what follows "/~~/").
proxy::Result<NodeSelector> parseNodeSelector(std::string_view selector);

}  // namespace core::presence::xcap
