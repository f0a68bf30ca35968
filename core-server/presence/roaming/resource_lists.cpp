// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/roaming/resource_lists.h"

#include <algorithm>
#include <utility>

#include "core-server/presence/xml_tree.h"
#include "core-server/presence/xml_writer.h"
#include "proxy/base/strings.h"

namespace core::presence::roaming {
namespace {

using proxy::makeError;
using proxy::Result;

constexpr std::string_view kResourceLists = "urn:ietf:params:xml:ns:resource-lists";

struct WantedContact {
  std::string uri;  // normalised
  std::string name;
  std::vector<std::string> groups;  // group names
};

std::string displayName(const XmlElement& e) {
  auto d = e.firstChild(kResourceLists, "display-name");
  return d ? d->text() : std::string();
}

Result<void> collectEntries(const XmlElement& list, const std::string& group,
                            std::vector<WantedContact>& wanted) {
  for (XmlElement e : list.children()) {
    if (e.is(kResourceLists, "list")) {
      if (auto r = collectEntries(e, group, wanted); !r) {
        return r;
      }
      continue;
    }
    if (!e.is(kResourceLists, "entry")) {
      continue;  // entry-ref, external, display-name, extensions
    }
    const std::string_view raw = proxy::trim(e.attribute("uri").value_or(""));
    if (raw.empty()) {
      return makeError(400, "resource-lists: <entry> without uri");
    }
    std::string uri = normalizeContactUri(raw);
    if (uri.empty()) {
      return makeError(
          400, "resource-lists: invalid entry uri \"" + std::string(raw.substr(0, 64)) + "\"");
    }
    auto it = std::find_if(wanted.begin(), wanted.end(),
                           [&uri](const WantedContact& w) { return proxy::iequals(w.uri, uri); });
    if (it == wanted.end()) {
      wanted.push_back(WantedContact{std::move(uri), displayName(e), {}});
      it = wanted.end() - 1;
    }
    if (std::find(it->groups.begin(), it->groups.end(), group) == it->groups.end()) {
      it->groups.push_back(group);
    }
  }
  return {};
}

Result<void> record(Result<ContactListDelta> step, std::vector<ContactListDelta>& out) {
  if (!step) {
    return step.error();
  }
  if (!step->empty()) {
    out.push_back(std::move(*step));
  }
  return {};
}

}  // namespace

std::string renderResourceLists(const ContactList& list) {
  std::string out;
  XmlWriter w(out);
  w.declaration();
  w.open("resource-lists");
  w.attribute("xmlns", kResourceLists);
  for (const ContactGroup& g : list.groups()) {
    w.open("list");
    w.attribute("name", g.name);
    w.leaf("display-name", g.id == kDefaultGroupId ? "Other Contacts" : g.name);
    for (const Contact& c : list.contacts()) {
      if (std::find(c.groups.begin(), c.groups.end(), g.id) == c.groups.end()) {
        continue;
      }
      w.open("entry");
      w.attribute("uri", c.uri);
      if (!c.name.empty()) {
        w.leaf("display-name", c.name);
      }
      w.close();
    }
    w.close();
  }
  w.close();
  return out;
}

Result<std::vector<ContactListDelta>> applyResourceLists(ContactList& list, std::string_view xml,
                                                         const XmlLimits& xml_limits,
                                                         const ContactListLimits& limits) {
  auto parsed = XmlDocument::parse(xml, xml_limits);
  if (!parsed) {
    return parsed.error();
  }
  const XmlElement root = parsed->root();
  if (!root.is(kResourceLists, "resource-lists")) {
    return makeError(400, "resource-lists: root element must be {" + std::string(kResourceLists) +
                              "}resource-lists, got " + root.expandedName());
  }
  std::vector<std::string> wanted_groups;
  std::vector<WantedContact> wanted;
  for (XmlElement l : root.children()) {
    if (!l.is(kResourceLists, "list")) {
      continue;
    }
    std::string name(proxy::trim(l.attribute("name").value_or("")));
    if (name.empty()) {
      return makeError(400, "resource-lists: top-level <list> without name");
    }
    if (std::find(wanted_groups.begin(), wanted_groups.end(), name) == wanted_groups.end()) {
      wanted_groups.push_back(name);
    }
    if (auto r = collectEntries(l, name, wanted); !r) {
      return r.error();
    }
  }

  std::vector<ContactListDelta> deltas;
  for (const std::string& name : wanted_groups) {
    if (list.groupByName(name) == nullptr) {
      if (auto r = record(list.addGroup(name, "", limits), deltas); !r) {
        return r.error();
      }
    }
  }
  for (const WantedContact& w : wanted) {
    Contact c;
    c.uri = w.uri;
    c.name = w.name;
    if (const Contact* existing = list.contact(w.uri)) {
      c.subscribed = existing->subscribed;  // not expressed in resource-lists: keep
      c.external_uri = existing->external_uri;
      c.extension = existing->extension;
    }
    for (const std::string& g : w.groups) {
      c.groups.push_back(list.groupByName(g)->id);
    }
    if (auto r = record(list.setContact(std::move(c), limits), deltas); !r) {
      return r.error();
    }
  }
  std::vector<std::string> gone;
  for (const Contact& c : list.contacts()) {
    const bool kept = std::any_of(wanted.begin(), wanted.end(), [&c](const WantedContact& w) {
      return proxy::iequals(w.uri, c.uri);
    });
    if (!kept) {
      gone.push_back(c.uri);
    }
  }
  for (const std::string& uri : gone) {
    if (auto r = record(list.deleteContact(uri), deltas); !r) {
      return r.error();
    }
  }
  std::vector<uint32_t> unused;
  for (const ContactGroup& g : list.groups()) {
    if (g.id != kDefaultGroupId &&
        std::find(wanted_groups.begin(), wanted_groups.end(), g.name) == wanted_groups.end()) {
      unused.push_back(g.id);
    }
  }
  for (uint32_t id : unused) {
    if (auto r = record(list.deleteGroup(id), deltas); !r) {
      return r.error();
    }
  }
  return deltas;
}

}  // namespace core::presence::roaming
