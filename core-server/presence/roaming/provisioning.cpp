// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/roaming/provisioning.h"

#include "core-server/presence/roaming/roaming_namespaces.h"
#include "core-server/presence/xml_tree.h"
#include "core-server/presence/xml_writer.h"
#include "proxy/base/strings.h"

namespace core::presence::roaming {
namespace {

using proxy::makeError;
using proxy::Result;

using Properties = std::vector<std::pair<std::string, std::string>>;

void writeProperties(XmlWriter& w, const Properties& properties) {
  w.open("propertyEntryList");
  for (const auto& [name, value] : properties) {
    w.open("property");
    w.attribute("name", name);
    w.text(value);
    w.close();
  }
  w.close();
}

const Properties* extraFor(const ProvisioningConfig& config, std::string_view group) {
  for (const auto& [name, properties] : config.extra_properties) {
    if (name == group) {
      return &properties;
    }
  }
  return nullptr;
}

void writeServerConfiguration(XmlWriter& w, const ProvisioningConfig& c) {
  auto optional = [&w](std::string_view element, const std::string& value) {
    if (!value.empty()) {
      w.leaf(element, value);
    }
  };
  optional("absInternalServerUrl", c.abs_internal_url);
  optional("absExternalServerUrl", c.abs_external_url);
  optional("dlxInternalUrl", c.dlx_internal_url);
  optional("dlxExternalUrl", c.dlx_external_url);
  optional("focusFactoryUri", c.focus_factory_uri);
  optional("ucPC2PCAVEncryption", c.pc2pc_av_encryption);
  // No port ranges: sipe then leaves its media ports unrestricted.
  w.leaf("ucPortRangeEnabled", "false");
}

}  // namespace

Result<std::vector<std::string>> parseProvisioningGroupList(std::string_view xml,
                                                            const XmlLimits& limits) {
  if (proxy::trim(xml).empty()) {
    return std::vector<std::string>{
        std::string(kProvisionServerConfiguration), std::string(kProvisionMeetingPolicy),
        std::string(kProvisionPersistentChat), std::string(kProvisionUcPolicy)};
  }
  auto parsed = XmlDocument::parse(xml, limits);
  if (!parsed) {
    return parsed.error();
  }
  const XmlElement root = parsed->root();
  if (!root.is(ns::kProvisioningGroupList, "provisioningGroupList")) {
    return makeError(400, "provisioning: root element must be {" +
                              std::string(ns::kProvisioningGroupList) +
                              "}provisioningGroupList, got " + root.expandedName());
  }
  std::vector<std::string> groups;
  for (XmlElement e : root.children()) {
    if (!e.is(ns::kProvisioningGroupList, "provisioningGroup")) {
      continue;
    }
    std::string name(proxy::trim(e.attribute("name").value_or("")));
    if (name.empty()) {
      return makeError(400, "provisioning: <provisioningGroup> without name");
    }
    groups.push_back(std::move(name));
  }
  return groups;
}

std::string persistentChatPoolUri(const ProvisioningConfig& config) {
  if (!config.persistent_chat_pool_uri.empty()) {
    return config.persistent_chat_pool_uri;
  }
  return "sip:ocschat@" + config.domain;
}

std::string renderProvisioningV2(const ProvisioningConfig& config,
                                 const std::vector<std::string>& groups) {
  std::string out;
  XmlWriter w(out);
  w.declaration();
  w.open("provisionGroupList");
  w.attribute("xmlns", ns::kProvisionGroupListNotification);
  for (const std::string& group : groups) {
    const Properties* extra = extraFor(config, group);
    if (group == kProvisionServerConfiguration) {
      w.open("provisionGroup");
      w.attribute("name", group);
      writeServerConfiguration(w, config);
      w.close();
    } else if (group == kProvisionPersistentChat) {
      Properties properties = {
          {"EnablePersistentChat", config.persistent_chat_enabled ? "true" : "false"},
          {"DefaultPersistentChatPoolUri", persistentChatPoolUri(config)}};
      if (extra != nullptr) {
        properties.insert(properties.end(), extra->begin(), extra->end());
      }
      w.open("provisionGroup");
      w.attribute("name", group);
      writeProperties(w, properties);
      w.close();
    } else if (group == kProvisionMeetingPolicy || group == kProvisionUcPolicy) {
      w.open("provisionGroup");
      w.attribute("name", group);
      writeProperties(w, extra != nullptr ? *extra : Properties{});
      w.close();
    }
  }
  w.close();
  return out;
}

}  // namespace core::presence::roaming
