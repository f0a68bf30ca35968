// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/roaming/ms_roaming_contacts.h"

#include <string_view>
#include <utility>

#include "core-server/presence/xml_fragment.h"
#include "core-server/presence/xml_tree.h"
#include "core-server/presence/xml_writer.h"
#include "proxy/base/strings.h"

namespace core::presence::roaming {
namespace {

std::string groupIds(const std::vector<uint32_t>& ids) {
  std::string out;
  for (uint32_t id : ids) {
    if (!out.empty()) {
      out += ' ';
    }
    out += std::to_string(id);
  }
  return out;
}

void writeGroup(XmlWriter& w, std::string_view element, const ContactGroup& g) {
  w.open(element);
  w.attribute("id", std::to_string(g.id));
  w.attribute("name", g.name);
  w.attribute("externalURI", g.external_uri);
  w.close();
}

void writeContact(XmlWriter& w, std::string_view element, const Contact& c, std::string_view uri) {
  w.open(element);
  w.attribute("uri", uri);
  w.attribute("name", c.name);
  w.attribute("groups", groupIds(c.groups));
  w.attribute("subscribed", c.subscribed ? "true" : "false");
  w.attribute("externalURI", c.external_uri);
  if (!c.extension.empty()) {
    w.open("contactExtension");
    w.raw(c.extension);  // validated well-formed by ContactList
    w.close();
  }
  w.close();
}

using proxy::makeError;
using proxy::Result;

Result<uint32_t> numberAttr(const XmlElement& e, std::string_view name) {
  auto n = proxy::parseUnsigned<uint32_t>(proxy::trim(e.attribute(name).value_or("")));
  if (!n) {
    return makeError(400, "roaming contacts: <" + std::string(e.local()) + "> " +
                              std::string(name) + " missing or not a number");
  }
  return *n;
}

Result<ContactGroup> readGroup(const XmlElement& e) {
  auto id = numberAttr(e, "id");
  if (!id) {
    return id.error();
  }
  return ContactGroup{*id, std::string(e.attribute("name").value_or("")),
                      std::string(e.attribute("externalURI").value_or(""))};
}

Result<Contact> readContact(const XmlElement& e) {
  Contact c;
  c.uri = std::string(proxy::trim(e.attribute("uri").value_or("")));
  if (c.uri.empty()) {
    return makeError(400, "roaming contacts: <" + std::string(e.local()) + "> without uri");
  }
  c.name = std::string(e.attribute("name").value_or(""));
  const std::string_view groups = e.attribute("groups").value_or("");
  size_t pos = 0;
  while (pos < groups.size()) {
    size_t end = groups.find(' ', pos);
    if (end == std::string_view::npos) {
      end = groups.size();
    }
    if (end > pos) {
      auto id = proxy::parseUnsigned<uint32_t>(groups.substr(pos, end - pos));
      if (!id) {
        return makeError(400, "roaming contacts: non-numeric group id in groups");
      }
      c.groups.push_back(*id);
    }
    pos = end + 1;
  }
  c.subscribed = e.attribute("subscribed").value_or("true") != "false";
  c.external_uri = std::string(e.attribute("externalURI").value_or(""));
  for (XmlElement child : e.children()) {
    if (child.local() == "contactExtension") {
      c.extension = serializeChildren(child);
    }
  }
  return c;
}

}  // namespace

Result<RoamingContactsDocument> parseRoamingContacts(std::string_view xml,
                                                     const XmlLimits& xml_limits,
                                                     const ContactListLimits& limits) {
  auto parsed = XmlDocument::parse(xml, xml_limits);
  if (!parsed) {
    return parsed.error();
  }
  const XmlElement root = parsed->root();
  RoamingContactsDocument doc;
  if (root.local() == "contactList") {
    doc.full = true;
  } else if (root.local() == "contactDelta") {
    doc.full = false;
  } else {
    return makeError(400, "roaming contacts: root must be contactList or contactDelta, got " +
                              root.expandedName());
  }
  auto delta_num = numberAttr(root, "deltaNum");
  if (!delta_num || *delta_num == 0) {
    return makeError(400, "roaming contacts: deltaNum missing, zero or not a number");
  }
  std::vector<ContactGroup> groups;
  std::vector<Contact> contacts;
  doc.delta.delta_num = *delta_num;
  for (XmlElement e : root.children()) {
    const std::string_view name = e.local();
    if (name == "group" || name == "addedGroup" || name == "modifiedGroup") {
      auto g = readGroup(e);
      if (!g) {
        return g.error();
      }
      (name == "group"        ? groups
       : name == "addedGroup" ? doc.delta.added_groups
                              : doc.delta.modified_groups)
          .push_back(std::move(*g));
    } else if (name == "contact" || name == "addedContact" || name == "modifiedContact") {
      auto c = readContact(e);
      if (!c) {
        return c.error();
      }
      (name == "contact"        ? contacts
       : name == "addedContact" ? doc.delta.added_contacts
                                : doc.delta.modified_contacts)
          .push_back(std::move(*c));
    } else if (name == "deletedGroup") {
      auto id = numberAttr(e, "id");
      if (!id) {
        return id.error();
      }
      doc.delta.deleted_groups.push_back(*id);
    } else if (name == "deletedContact") {
      std::string uri(proxy::trim(e.attribute("uri").value_or("")));
      if (uri.empty()) {
        return makeError(400, "roaming contacts: <deletedContact> without uri");
      }
      doc.delta.deleted_contacts.push_back(std::move(uri));
    }
  }
  if (doc.full) {
    auto list = ContactList::restore(*delta_num, std::move(groups), std::move(contacts), limits);
    if (!list) {
      return makeError(400, "roaming contacts: " + list.error().detail);
    }
    doc.list = std::move(*list);
  }
  return doc;
}

std::string renderContactList(const ContactList& list) {
  std::string out;
  XmlWriter w(out);
  w.declaration();
  w.open("contactList");
  w.attribute("deltaNum", std::to_string(list.deltaNum()));
  for (const ContactGroup& g : list.groups()) {
    writeGroup(w, "group", g);
  }
  for (const Contact& c : list.contacts()) {
    writeContact(w, "contact", c, uriWithoutSipScheme(c.uri));
  }
  w.close();
  return out;
}

std::string renderContactDelta(const ContactListDelta& delta) {
  std::string out;
  XmlWriter w(out);
  w.declaration();
  w.open("contactDelta");
  w.attribute("deltaNum", std::to_string(delta.delta_num));
  if (!delta.empty() && delta.delta_num > 1) {
    w.attribute("prevDeltaNum", std::to_string(delta.delta_num - 1));
  }
  for (const ContactGroup& g : delta.added_groups) {
    writeGroup(w, "addedGroup", g);
  }
  for (const ContactGroup& g : delta.modified_groups) {
    writeGroup(w, "modifiedGroup", g);
  }
  for (const Contact& c : delta.added_contacts) {
    writeContact(w, "addedContact", c, c.uri);
  }
  for (const Contact& c : delta.modified_contacts) {
    writeContact(w, "modifiedContact", c, c.uri);
  }
  for (uint32_t id : delta.deleted_groups) {
    w.open("deletedGroup");
    w.attribute("id", std::to_string(id));
    w.close();
  }
  for (const std::string& uri : delta.deleted_contacts) {
    w.open("deletedContact");
    w.attribute("uri", uri);
    w.close();
  }
  w.close();
  return out;
}

}  // namespace core::presence::roaming
