// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/roaming/contact_list.h"

#include <algorithm>
#include <utility>

#include "core-server/presence/xml_limits.h"
#include "core-server/presence/xml_tree.h"
#include "proxy/base/strings.h"

namespace core::presence::roaming {
namespace {

using proxy::makeError;
using proxy::Result;

bool hasControlOrBlank(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

bool hasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

Result<void> checkText(std::string_view what, std::string_view value, size_t max_bytes) {
  if (value.size() > max_bytes) {
    return makeError(400,
                     std::string(what) + " longer than " + std::to_string(max_bytes) + " bytes");
  }
  if (hasControl(value)) {
    return makeError(400, std::string(what) + " contains control characters");
  }
  return {};
}

// The extension is written back into our documents verbatim, so it must be
// well-formed XML on its own (children of one element).
Result<void> checkExtension(std::string_view xml, size_t max_bytes) {
  if (xml.empty()) {
    return {};
  }
  if (xml.size() > max_bytes) {
    return makeError(400, "contactExtension longer than " + std::to_string(max_bytes) + " bytes");
  }
  std::string wrapped = "<x>";
  wrapped.append(xml);
  wrapped.append("</x>");
  XmlLimits limits;
  limits.max_bytes = max_bytes + 16;
  auto parsed = XmlDocument::parse(wrapped, limits);
  if (!parsed) {
    return makeError(400, "contactExtension: " + parsed.error().detail);
  }
  return {};
}

Result<void> checkGroupName(std::string_view name, const ContactListLimits& limits) {
  if (proxy::trim(name).empty()) {
    return makeError(400, "group name is empty");
  }
  return checkText("group name", name, limits.max_name_bytes);
}

}  // namespace

bool ContactListDelta::empty() const {
  return added_groups.empty() && modified_groups.empty() && added_contacts.empty() &&
         modified_contacts.empty() && deleted_groups.empty() && deleted_contacts.empty();
}

std::string normalizeContactUri(std::string_view uri) {
  uri = proxy::trim(uri);
  if (uri.empty() || hasControlOrBlank(uri)) {
    return {};
  }
  std::string scheme = "sip";
  std::string_view rest = uri;
  if (const size_t colon = uri.find(':'); colon != std::string_view::npos) {
    const std::string lower = proxy::toLower(uri.substr(0, colon));
    if (lower == "sip" || lower == "sips" || lower == "tel") {
      scheme = lower;
      rest = uri.substr(colon + 1);
    }
  }
  if (rest.empty()) {
    return {};
  }
  if (scheme != "tel") {
    const size_t at = rest.find('@');
    if (at == 0 || at == std::string_view::npos || at + 1 == rest.size()) {
      return {};  // sip needs user@host
    }
  }
  return scheme + ":" + std::string(rest);
}

std::string_view uriWithoutSipScheme(std::string_view uri) {
  if (uri.size() >= 4 && proxy::iequals(uri.substr(0, 4), "sip:")) {
    return uri.substr(4);
  }
  return uri;
}

ContactList::ContactList() {
  groups_.push_back(ContactGroup{kDefaultGroupId, std::string(kDefaultGroupName), {}});
}

Result<ContactList> ContactList::restore(uint32_t delta_num, std::vector<ContactGroup> groups,
                                         std::vector<Contact> contacts,
                                         const ContactListLimits& limits) {
  ContactList list;
  list.groups_.clear();
  if (delta_num == 0) {
    return makeError(400, "contact list: deltaNum must be non-zero");
  }
  if (groups.size() > limits.max_groups || contacts.size() > limits.max_contacts) {
    return makeError(507, "contact list: more groups or contacts than the limits allow");
  }
  for (ContactGroup& g : groups) {
    if (g.id == 0) {
      return makeError(400, "contact list: group id 0");
    }
    if (list.group(g.id) != nullptr) {
      return makeError(400, "contact list: duplicate group id " + std::to_string(g.id));
    }
    if (list.groupByName(g.name) != nullptr) {
      return makeError(400, "contact list: duplicate group name \"" + g.name + "\"");
    }
    if (auto r = checkGroupName(g.name, limits); !r) {
      return r.error();
    }
    if (auto r = checkText("group externalURI", g.external_uri, limits.max_external_uri_bytes);
        !r) {
      return r.error();
    }
    list.groups_.push_back(std::move(g));
  }
  if (list.group(kDefaultGroupId) == nullptr) {
    list.groups_.push_back(ContactGroup{kDefaultGroupId, std::string(kDefaultGroupName), {}});
  }
  std::sort(list.groups_.begin(), list.groups_.end(),
            [](const ContactGroup& a, const ContactGroup& b) { return a.id < b.id; });
  for (Contact& c : contacts) {
    if (auto r = list.validateContact(c, limits); !r) {
      return r.error();
    }
    if (list.contact(c.uri) != nullptr) {
      return makeError(400, "contact list: duplicate contact " + c.uri);
    }
    list.contacts_.push_back(std::move(c));
  }
  list.delta_num_ = delta_num;
  return list;
}

const ContactGroup* ContactList::group(uint32_t id) const {
  for (const ContactGroup& g : groups_) {
    if (g.id == id) {
      return &g;
    }
  }
  return nullptr;
}

ContactGroup* ContactList::mutableGroup(uint32_t id) {
  return const_cast<ContactGroup*>(std::as_const(*this).group(id));
}

const ContactGroup* ContactList::groupByName(std::string_view name) const {
  for (const ContactGroup& g : groups_) {
    if (g.name == name) {
      return &g;
    }
  }
  return nullptr;
}

const Contact* ContactList::contact(std::string_view uri) const {
  const std::string wanted = normalizeContactUri(uri);
  if (wanted.empty()) {
    return nullptr;
  }
  for (const Contact& c : contacts_) {
    // URIs compare case-insensitively: clients differ in how they spell them.
    if (proxy::iequals(c.uri, wanted)) {
      return &c;
    }
  }
  return nullptr;
}

ContactListDelta ContactList::commit(ContactListDelta delta) {
  if (!delta.empty()) {
    ++delta_num_;
    if (delta_num_ == 0) {
      delta_num_ = 1;  // wrapped: MS-SIP forbids zero
    }
  }
  delta.delta_num = delta_num_;
  return delta;
}

Result<ContactListDelta> ContactList::addGroup(std::string_view name, std::string_view external_uri,
                                               const ContactListLimits& limits) {
  if (auto r = checkGroupName(name, limits); !r) {
    return r.error();
  }
  if (auto r = checkText("group externalURI", external_uri, limits.max_external_uri_bytes); !r) {
    return r.error();
  }
  if (groupByName(name) != nullptr) {
    return makeError(409, "group \"" + std::string(name) + "\" already exists");
  }
  if (groups_.size() >= limits.max_groups) {
    return makeError(
        507, "contact list holds the maximum of " + std::to_string(limits.max_groups) + " groups");
  }
  uint32_t id = kDefaultGroupId + 1;
  for (const ContactGroup& g : groups_) {  // sorted: the first gap is the lowest free id
    if (g.id == id) {
      ++id;
    } else if (g.id > id) {
      break;
    }
  }
  ContactGroup added{id, std::string(name), std::string(external_uri)};
  groups_.insert(std::upper_bound(groups_.begin(), groups_.end(), id,
                                  [](uint32_t v, const ContactGroup& g) { return v < g.id; }),
                 added);
  ContactListDelta delta;
  delta.added_groups.push_back(std::move(added));
  return commit(std::move(delta));
}

Result<ContactListDelta> ContactList::modifyGroup(uint32_t id, std::string_view name,
                                                  std::string_view external_uri,
                                                  const ContactListLimits& limits) {
  ContactGroup* g = mutableGroup(id);
  if (g == nullptr) {
    return makeError(404, "no group with id " + std::to_string(id));
  }
  if (auto r = checkGroupName(name, limits); !r) {
    return r.error();
  }
  if (auto r = checkText("group externalURI", external_uri, limits.max_external_uri_bytes); !r) {
    return r.error();
  }
  if (const ContactGroup* other = groupByName(name); other != nullptr && other->id != id) {
    return makeError(409, "group \"" + std::string(name) + "\" already exists");
  }
  ContactListDelta delta;
  if (g->name != name || g->external_uri != external_uri) {
    g->name = std::string(name);
    g->external_uri = std::string(external_uri);
    delta.modified_groups.push_back(*g);
  }
  return commit(std::move(delta));
}

Result<ContactListDelta> ContactList::deleteGroup(uint32_t id) {
  if (id == kDefaultGroupId) {
    return makeError(403, "the default group cannot be deleted");
  }
  const auto it = std::find_if(groups_.begin(), groups_.end(),
                               [id](const ContactGroup& g) { return g.id == id; });
  if (it == groups_.end()) {
    return makeError(404, "no group with id " + std::to_string(id));
  }
  groups_.erase(it);
  ContactListDelta delta;
  for (auto c = contacts_.begin(); c != contacts_.end();) {
    const auto pos = std::find(c->groups.begin(), c->groups.end(), id);
    if (pos == c->groups.end()) {
      ++c;
      continue;
    }
    c->groups.erase(pos);
    if (c->groups.empty()) {
      delta.deleted_contacts.push_back(c->uri);
      c = contacts_.erase(c);
    } else {
      delta.modified_contacts.push_back(*c);
      ++c;
    }
  }
  delta.deleted_groups.push_back(id);
  return commit(std::move(delta));
}

Result<void> ContactList::validateContact(Contact& contact, const ContactListLimits& limits) const {
  if (contact.uri.size() > limits.max_uri_bytes) {
    return makeError(400,
                     "contact URI longer than " + std::to_string(limits.max_uri_bytes) + " bytes");
  }
  std::string uri = normalizeContactUri(contact.uri);
  if (uri.empty()) {
    return makeError(400, "invalid contact URI \"" + contact.uri.substr(0, 64) + "\"");
  }
  contact.uri = std::move(uri);
  if (auto r = checkText("contact name", contact.name, limits.max_name_bytes); !r) {
    return r.error();
  }
  if (auto r =
          checkText("contact externalURI", contact.external_uri, limits.max_external_uri_bytes);
      !r) {
    return r.error();
  }
  if (auto r = checkExtension(contact.extension, limits.max_extension_bytes); !r) {
    return r.error();
  }
  std::sort(contact.groups.begin(), contact.groups.end());
  contact.groups.erase(std::unique(contact.groups.begin(), contact.groups.end()),
                       contact.groups.end());
  for (uint32_t id : contact.groups) {
    if (group(id) == nullptr) {
      return makeError(400,
                       "contact " + contact.uri + " names unknown group " + std::to_string(id));
    }
  }
  if (contact.groups.empty()) {
    contact.groups.push_back(kDefaultGroupId);  // MS-SIP: a contact is in at least one group
  }
  return {};
}

Result<ContactListDelta> ContactList::setContact(Contact contact, const ContactListLimits& limits) {
  if (auto r = validateContact(contact, limits); !r) {
    return r.error();
  }
  ContactListDelta delta;
  for (Contact& existing : contacts_) {
    if (proxy::iequals(existing.uri, contact.uri)) {
      contact.uri = existing.uri;  // keep the spelling the list already has
      if (!(existing == contact)) {
        existing = contact;
        delta.modified_contacts.push_back(std::move(contact));
      }
      return commit(std::move(delta));
    }
  }
  if (contacts_.size() >= limits.max_contacts) {
    return makeError(507, "contact list holds the maximum of " +
                              std::to_string(limits.max_contacts) + " contacts");
  }
  contacts_.push_back(contact);
  delta.added_contacts.push_back(std::move(contact));
  return commit(std::move(delta));
}

Result<ContactListDelta> ContactList::deleteContact(std::string_view uri) {
  const Contact* found = contact(uri);
  if (found == nullptr) {
    return makeError(404, "no contact " + std::string(uri.substr(0, 64)));
  }
  ContactListDelta delta;
  delta.deleted_contacts.push_back(found->uri);
  contacts_.erase(contacts_.begin() + (found - contacts_.data()));
  return commit(std::move(delta));
}

}  // namespace core::presence::roaming
