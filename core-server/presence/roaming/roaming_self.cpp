// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/roaming/roaming_self.h"

#include "core-server/presence/namespaces.h"
#include "core-server/presence/roaming/contact_list.h"
#include "core-server/presence/roaming/roaming_namespaces.h"
#include "core-server/presence/timestamp.h"
#include "core-server/presence/xml_tree.h"
#include "core-server/presence/xml_writer.h"
#include "proxy/base/strings.h"

namespace core::presence::roaming {
namespace {

using proxy::makeError;
using proxy::Result;

void writeCategories(XmlWriter& w, const RoamingSelf& self) {
  w.open("categories");
  w.attribute("xmlns", core::presence::ns::kMsCategories);
  w.attribute("uri", self.uri);
  for (const MsCategoryInstance& c : self.categories) {
    w.open("category");
    w.attribute("name", c.name);
    w.attribute("instance", std::to_string(c.instance));
    if (c.publish_time != 0) {
      w.attribute("publishTime", formatRfc3339(c.publish_time));
    }
    w.attribute("container", std::to_string(c.container));
    w.attribute("version", std::to_string(c.version));
    if (!c.xml.empty()) {
      w.raw(c.xml);  // self-contained payload kept by the presence model
    }
    w.close();
  }
  w.close();
}

void writeContainers(XmlWriter& w, const RoamingSelf& self) {
  w.open("containers");
  w.attribute("xmlns", core::presence::ns::kMsContainerManagement);
  for (const RoamingContainer& c : self.containers) {
    w.open("container");
    w.attribute("id", std::to_string(c.id));
    w.attribute("version", std::to_string(c.version));
    for (const RoamingMember& m : c.members) {
      w.open("member");
      w.attribute("type", m.type);
      if (!m.value.empty()) {
        w.attribute("value", m.value);
      }
      w.close();
    }
    w.close();
  }
  w.close();
}

void writeSubscribers(XmlWriter& w, const RoamingSelf& self) {
  w.open("subscribers");
  w.attribute("xmlns", ns::kPresenceSubscribers);
  for (const RoamingSubscriber& s : self.subscribers) {
    w.open("subscriber");
    w.attribute("user", uriWithoutSipScheme(s.uri));
    w.attribute("displayName", s.display_name);
    w.attribute("acknowledged", s.acknowledged ? "true" : "false");
    if (!s.type.empty()) {
      w.attribute("type", s.type);
    }
    w.close();
  }
  w.close();
}

}  // namespace

Result<RoamingSelfSections> parseRoamingList(std::string_view xml, const XmlLimits& limits) {
  if (proxy::trim(xml).empty()) {
    return RoamingSelfSections{true, true, true};
  }
  auto parsed = XmlDocument::parse(xml, limits);
  if (!parsed) {
    return parsed.error();
  }
  const XmlElement root = parsed->root();
  if (!root.is(ns::kRoamingSelf, "roamingList")) {
    return makeError(400, "roaming-self: root element must be {" + std::string(ns::kRoamingSelf) +
                              "}roamingList, got " + root.expandedName());
  }
  RoamingSelfSections sections;
  for (XmlElement e : root.children()) {
    if (!e.is(ns::kRoamingSelf, "roaming")) {
      continue;  // roamingEx (delegates) and future extensions
    }
    const std::string_view type = proxy::trim(e.attribute("type").value_or(""));
    if (type.empty()) {
      return makeError(400, "roaming-self: <roaming> without type");
    }
    if (type == "categories") {
      sections.categories = true;
    } else if (type == "containers") {
      sections.containers = true;
    } else if (type == "subscribers") {
      sections.subscribers = true;
    }
  }
  return sections;
}

std::string renderRoamingSelf(const RoamingSelf& self, const RoamingSelfSections& sections) {
  std::string out;
  XmlWriter w(out);
  w.declaration();
  w.open("roamingData");
  w.attribute("xmlns", ns::kRoamingSelf);
  if (sections.categories) {
    writeCategories(w, self);
  }
  if (sections.containers) {
    writeContainers(w, self);
  }
  if (sections.subscribers) {
    writeSubscribers(w, self);
  }
  w.close();
  return out;
}

}  // namespace core::presence::roaming
