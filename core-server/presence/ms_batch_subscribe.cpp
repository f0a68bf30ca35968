// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/ms_batch_subscribe.h"

#include "core-server/presence/namespaces.h"
#include "core-server/presence/xml_tree.h"
#include "proxy/base/strings.h"

namespace core::presence {
namespace {

using proxy::makeError;
using proxy::Result;

std::string attr(const XmlElement& e, std::string_view name) {
  return std::string(proxy::trim(e.attribute(name).value_or("")));
}

Result<void> parseAdhocList(const XmlElement& list, BatchAction& action) {
  for (XmlElement r : list.children()) {
    if (!r.is(ns::kMsBatchSubscribe, "resource")) {
      continue;
    }
    BatchResource resource;
    resource.uri = attr(r, "uri");
    if (resource.uri.empty()) {
      return makeError(400, "batchSub: <resource> without uri");
    }
    resource.just_added = r.firstChild(ns::kMsBatchSubscribe, "context").has_value();
    action.resources.push_back(std::move(resource));
  }
  return {};
}

Result<void> parseCategoryList(const XmlElement& list, BatchAction& action) {
  for (XmlElement c : list.children()) {
    if (!c.is(ns::kMsCategoryList, "category")) {
      continue;
    }
    std::string name = attr(c, "name");
    if (name.empty()) {
      return makeError(400, "batchSub: <category> without name");
    }
    action.categories.push_back(std::move(name));
  }
  return {};
}

Result<BatchAction> parseAction(const XmlElement& e) {
  BatchAction action;
  action.name = attr(e, "name");
  action.id = attr(e, "id");
  for (XmlElement child : e.children()) {
    if (child.is(ns::kMsBatchSubscribe, "adhocList")) {
      if (auto r = parseAdhocList(child, action); !r) {
        return r.error();
      }
    } else if (child.local() == "categoryList") {
      if (child.ns() != ns::kMsCategoryList) {
        return makeError(400, "batchSub: <categoryList> must be in namespace " +
                                  std::string(ns::kMsCategoryList) + ", got " +
                                  child.expandedName());
      }
      if (auto r = parseCategoryList(child, action); !r) {
        return r.error();
      }
    }
  }
  return action;
}

}  // namespace

Result<BatchSubscribe> parseBatchSubscribe(std::string_view xml, const XmlLimits& limits) {
  auto parsed = XmlDocument::parse(xml, limits);
  if (!parsed) {
    return parsed.error();
  }
  const XmlElement root = parsed->root();
  if (!root.is(ns::kMsBatchSubscribe, "batchSub")) {
    return makeError(400, "batchSub: root element must be {" + std::string(ns::kMsBatchSubscribe) +
                              "}batchSub, got " + root.expandedName());
  }
  BatchSubscribe out;
  out.uri = attr(root, "uri");
  out.name = attr(root, "name");
  for (XmlElement e : root.children()) {
    if (!e.is(ns::kMsBatchSubscribe, "action")) {
      continue;
    }
    auto action = parseAction(e);
    if (!action) {
      return action.error();
    }
    out.actions.push_back(std::move(*action));
  }
  return out;
}

}  // namespace core::presence
