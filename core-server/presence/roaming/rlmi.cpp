// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/roaming/rlmi.h"

#include <array>
#include <optional>

#include "core-server/presence/roaming/roaming_namespaces.h"
#include "core-server/presence/xml_tree.h"
#include "core-server/presence/xml_writer.h"
#include "proxy/base/strings.h"

namespace core::presence::roaming {
namespace {

using proxy::makeError;
using proxy::Result;

constexpr std::array<std::string_view, 4> kStateNames = {"active", "pending", "terminated",
                                                         "resubscribe"};

void writeNames(XmlWriter& w, const std::vector<RlmiName>& names) {
  for (const RlmiName& n : names) {
    w.open("name");
    if (!n.lang.empty()) {
      w.attribute("xml:lang", n.lang);
    }
    w.text(n.text);
    w.close();
  }
}

std::vector<RlmiName> readNames(const XmlElement& parent) {
  std::vector<RlmiName> names;
  for (XmlElement e : parent.children()) {
    if (e.is(ns::kRlmi, "name")) {
      names.push_back(
          RlmiName{e.text(), std::string(e.attribute("lang", kXmlNamespace).value_or(""))});
    }
  }
  return names;
}

std::string attr(const XmlElement& e, std::string_view name) {
  return std::string(proxy::trim(e.attribute(name).value_or("")));
}

Result<RlmiInstance> parseInstance(const XmlElement& e) {
  RlmiInstance instance;
  instance.id = attr(e, "id");
  if (instance.id.empty()) {
    return makeError(400, "rlmi: <instance> without id");
  }
  const std::string state = attr(e, "state");
  bool known = false;
  for (size_t i = 0; i < kStateNames.size(); ++i) {
    if (state == kStateNames[i]) {
      instance.state = static_cast<InstanceState>(i);
      known = true;
    }
  }
  if (!known) {
    return makeError(400, "rlmi: <instance> with unknown state \"" + state.substr(0, 32) + "\"");
  }
  instance.reason = attr(e, "reason");
  instance.cid = attr(e, "cid");
  instance.pool_fqdn = attr(e, "poolFqdn");
  return instance;
}

}  // namespace

std::string_view instanceStateName(InstanceState state) {
  return kStateNames[static_cast<size_t>(state)];
}

std::string renderRlmi(const RlmiList& list) {
  std::string out;
  XmlWriter w(out);
  w.declaration();
  w.open("list");
  w.attribute("xmlns", ns::kRlmi);
  w.attribute("uri", list.uri);
  w.attribute("version", std::to_string(list.version));
  w.attribute("fullState", list.full_state ? "true" : "false");
  writeNames(w, list.names);
  for (const RlmiResource& r : list.resources) {
    w.open("resource");
    w.attribute("uri", r.uri);
    writeNames(w, r.names);
    for (const RlmiInstance& i : r.instances) {
      w.open("instance");
      w.attribute("id", i.id);
      w.attribute("state", instanceStateName(i.state));
      if (!i.reason.empty()) {
        w.attribute("reason", i.reason);
      }
      if (!i.cid.empty()) {
        w.attribute("cid", i.cid);
      }
      if (!i.pool_fqdn.empty()) {
        w.attribute("poolFqdn", i.pool_fqdn);
      }
      w.close();
    }
    w.close();
  }
  w.close();
  return out;
}

Result<RlmiList> parseRlmi(std::string_view xml, const XmlLimits& limits) {
  auto parsed = XmlDocument::parse(xml, limits);
  if (!parsed) {
    return parsed.error();
  }
  const XmlElement root = parsed->root();
  if (!root.is(ns::kRlmi, "list")) {
    return makeError(400, "rlmi: root element must be {" + std::string(ns::kRlmi) + "}list, got " +
                              root.expandedName());
  }
  RlmiList list;
  list.uri = attr(root, "uri");
  if (list.uri.empty()) {
    return makeError(400, "rlmi: <list> without uri");
  }
  auto version = proxy::parseUnsigned<uint32_t>(attr(root, "version"));
  const std::string full = attr(root, "fullState");
  if (!version) {
    return makeError(400, "rlmi: <list> version missing or not a number");
  }
  if (full != "true" && full != "false" && full != "1" && full != "0") {
    return makeError(400, "rlmi: <list> fullState missing or not a boolean");
  }
  list.version = *version;
  list.full_state = full == "true" || full == "1";
  list.names = readNames(root);
  for (XmlElement r : root.children()) {
    if (!r.is(ns::kRlmi, "resource")) {
      continue;
    }
    RlmiResource resource;
    resource.uri = attr(r, "uri");
    if (resource.uri.empty()) {
      return makeError(400, "rlmi: <resource> without uri");
    }
    resource.names = readNames(r);
    for (XmlElement i : r.children()) {
      if (!i.is(ns::kRlmi, "instance")) {
        continue;
      }
      auto instance = parseInstance(i);
      if (!instance) {
        return instance.error();
      }
      resource.instances.push_back(std::move(*instance));
    }
    list.resources.push_back(std::move(resource));
  }
  return list;
}

}  // namespace core::presence::roaming
