// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/xcap/xcap_document.h"

#include <algorithm>

#include "core-server/presence/roaming/resource_lists.h"
#include "core-server/presence/xcap/xcap_errors.h"
#include "core-server/presence/xml_tree.h"
#include "core-server/presence/xml_writer.h"
#include "proxy/base/strings.h"

namespace core::presence::xcap {
namespace {

using proxy::Result;

std::string displayNameOf(const XmlElement& e) {
  auto d = e.firstChild(kResourceListsNs, "display-name");
  return d ? std::string(proxy::trim(d->text())) : std::string();
}

Result<XcapEntry> entryOf(const XmlElement& e) {
  const std::string_view raw = proxy::trim(e.attribute("uri").value_or(""));
  if (raw.empty()) {
    return conflict("schema-validation-error", "<entry> without uri");
  }
  std::string uri = roaming::normalizeContactUri(raw);
  if (uri.empty()) {
    return conflict("schema-validation-error",
                    "invalid entry uri \"" + std::string(raw.substr(0, 64)) + "\"");
  }
  return XcapEntry{std::move(uri), displayNameOf(e)};
}

// Entries of nested lists count for the top-level list (groups do not nest).
Result<void> collectEntries(const XmlElement& list, XcapList& out) {
  for (XmlElement e : list.children()) {
    if (e.is(kResourceListsNs, "list")) {
      if (auto r = collectEntries(e, out); !r) {
        return r;
      }
      continue;
    }
    if (!e.is(kResourceListsNs, "entry")) {
      continue;  // display-name, entry-ref, external, extensions: not modelled
    }
    auto entry = entryOf(e);
    if (!entry) {
      return entry.error();
    }
    const bool duplicate =
        std::any_of(out.entries.begin(), out.entries.end(),
                    [&entry](const XcapEntry& x) { return proxy::iequals(x.uri, entry->uri); });
    if (duplicate) {
      return conflict("uniqueness-failure", "entry " + entry->uri + " twice in list " + out.name);
    }
    out.entries.push_back(std::move(*entry));
  }
  return {};
}

Result<XcapList> listOf(const XmlElement& e) {
  XcapList list;
  list.name = std::string(proxy::trim(e.attribute("name").value_or("")));
  if (list.name.empty()) {
    return conflict("schema-validation-error", "a top-level <list> needs a name");
  }
  if (auto r = collectEntries(e, list); !r) {
    return r.error();
  }
  return list;
}

// An element body: one element in the resource-lists namespace (the application usage's
// default namespace applies to unprefixed names). Parsed inside a wrapper that declares it;
// a DOCTYPE cannot appear inside the wrapper, so hostile bodies stay not-well-formed.
Result<XmlDocument> parseFragment(std::string_view xml, const XmlLimits& limits) {
  std::string_view body = proxy::trim(xml);
  if (body.starts_with("<?xml")) {
    const size_t end = body.find("?>");
    if (end == std::string_view::npos) {
      return conflict("not-well-formed", "unterminated XML declaration");
    }
    body = proxy::trim(body.substr(end + 2));
  }
  if (body.size() > limits.max_bytes) {
    return conflict("not-well-formed", "element too large");
  }
  std::string wrapped = "<w xmlns=\"" + std::string(kResourceListsNs) + "\">";
  wrapped.append(body);
  wrapped.append("</w>");
  XmlLimits wrapper = limits;
  wrapper.max_bytes = wrapped.size();
  wrapper.max_depth = limits.max_depth + 1;
  auto doc = XmlDocument::parse(wrapped, wrapper);
  if (!doc) {
    return conflict("not-well-formed", doc.error().detail);
  }
  size_t elements = 0;
  for (XmlElement e : doc->root().children()) {
    (void)e;
    ++elements;
  }
  if (elements != 1 || !proxy::trim(doc->root().text()).empty()) {
    return conflict("not-xml-frag", "the body must be exactly one element");
  }
  return doc;
}

}  // namespace

XcapList* XcapDocument::list(std::string_view name) {
  auto it = std::find_if(lists.begin(), lists.end(),
                         [name](const XcapList& l) { return l.name == name; });
  return it == lists.end() ? nullptr : &*it;
}

size_t XcapDocument::entryCount() const {
  size_t n = 0;
  for (const XcapList& l : lists) {
    n += l.entries.size();
  }
  return n;
}

XcapDocument documentOf(const roaming::ContactList& contacts) {
  XcapDocument doc;
  for (const roaming::ContactGroup& g : contacts.groups()) {
    XcapList& list = doc.lists.emplace_back();
    list.name = g.name;
    for (const roaming::Contact& c : contacts.contacts()) {
      if (std::find(c.groups.begin(), c.groups.end(), g.id) != c.groups.end()) {
        list.entries.push_back({c.uri, c.name});
      }
    }
  }
  return doc;
}

namespace {

void writeEntry(XmlWriter& w, const XcapEntry& e, bool xmlns) {
  w.open("entry");
  if (xmlns) {
    w.attribute("xmlns", kResourceListsNs);
  }
  w.attribute("uri", e.uri);
  if (!e.display_name.empty()) {
    w.leaf("display-name", e.display_name);
  }
  w.close();
}

void writeList(XmlWriter& w, const XcapList& l, bool xmlns) {
  w.open("list");
  if (xmlns) {
    w.attribute("xmlns", kResourceListsNs);
  }
  w.attribute("name", l.name);
  for (const XcapEntry& e : l.entries) {
    writeEntry(w, e, false);
  }
  w.close();
}

}  // namespace

std::string renderDocument(const XcapDocument& doc) {
  std::string out;
  XmlWriter w(out);
  w.declaration();
  w.open("resource-lists");
  w.attribute("xmlns", kResourceListsNs);
  for (const XcapList& l : doc.lists) {
    writeList(w, l, false);
  }
  w.close();
  return out;
}

std::string renderListElement(const XcapList& list) {
  std::string out;
  XmlWriter w(out);
  writeList(w, list, true);
  return out;
}

std::string renderEntryElement(const XcapEntry& entry) {
  std::string out;
  XmlWriter w(out);
  writeEntry(w, entry, true);
  return out;
}

Result<XcapDocument> parseDocument(std::string_view xml, const XmlLimits& limits) {
  auto parsed = XmlDocument::parse(xml, limits);
  if (!parsed) {
    return conflict("not-well-formed", parsed.error().detail);
  }
  const XmlElement root = parsed->root();
  if (!root.is(kResourceListsNs, "resource-lists")) {
    return conflict("schema-validation-error",
                    "the root must be {" + std::string(kResourceListsNs) + "}resource-lists");
  }
  XcapDocument doc;
  for (XmlElement e : root.children()) {
    if (!e.is(kResourceListsNs, "list")) {
      continue;
    }
    auto list = listOf(e);
    if (!list) {
      return list.error();
    }
    if (doc.list(list->name) != nullptr) {
      return conflict("uniqueness-failure", "two lists named " + list->name);
    }
    doc.lists.push_back(std::move(*list));
  }
  return doc;
}

Result<XcapList> parseListElement(std::string_view xml, const XmlLimits& limits) {
  auto doc = parseFragment(xml, limits);
  if (!doc) {
    return doc.error();
  }
  const XmlElement e = *doc->root().children().begin();
  if (!e.is(kResourceListsNs, "list")) {
    return conflict("schema-validation-error", "expected a <list>, got " + e.expandedName());
  }
  return listOf(e);
}

Result<XcapEntry> parseEntryElement(std::string_view xml, const XmlLimits& limits) {
  auto doc = parseFragment(xml, limits);
  if (!doc) {
    return doc.error();
  }
  const XmlElement e = *doc->root().children().begin();
  if (!e.is(kResourceListsNs, "entry")) {
    return conflict("schema-validation-error", "expected an <entry>, got " + e.expandedName());
  }
  return entryOf(e);
}

Result<std::vector<roaming::ContactListDelta>> applyDocument(
    roaming::ContactList& contacts, const XcapDocument& doc,
    const roaming::ContactListLimits& limits) {
  const std::string xml = renderDocument(doc);
  // Our own rendering of a document already within the user's limits.
  XmlLimits ours;
  ours.max_bytes = xml.size();
  ours.max_elements = static_cast<uint32_t>(2 + doc.lists.size() + 2 * doc.entryCount());
  auto deltas = roaming::applyResourceLists(contacts, xml, ours, limits);
  if (!deltas) {
    return conflict("constraint-failure", deltas.error().detail);
  }
  return deltas;
}

}  // namespace core::presence::xcap
