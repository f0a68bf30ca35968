// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/roaming/contact_list_json.h"

#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

namespace core::presence::roaming {
namespace {

using nlohmann::json;
using proxy::makeError;
using proxy::Result;

constexpr int kFormatVersion = 1;

}  // namespace

std::string contactListToJson(const ContactList& list) {
  json j;
  j["v"] = kFormatVersion;
  j["deltaNum"] = list.deltaNum();
  json groups = json::array();
  for (const ContactGroup& g : list.groups()) {
    groups.push_back({{"id", g.id}, {"name", g.name}, {"externalURI", g.external_uri}});
  }
  j["groups"] = std::move(groups);
  json contacts = json::array();
  for (const Contact& c : list.contacts()) {
    contacts.push_back({{"uri", c.uri},
                        {"name", c.name},
                        {"groups", c.groups},
                        {"subscribed", c.subscribed},
                        {"externalURI", c.external_uri},
                        {"extension", c.extension}});
  }
  j["contacts"] = std::move(contacts);
  // Client text may be invalid UTF-8; storage must still round-trip something.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<ContactList> contactListFromJson(std::string_view text, const ContactListLimits& limits) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return makeError(500, "stored contact list is not a JSON object");
  }
  // Typed getters throw on a type mismatch; check every field's type first.
  auto field = [](const json& o, const char* key, json::value_t type) -> const json* {
    const auto it = o.find(key);
    if (it == o.end()) {
      return nullptr;
    }
    if (it->type() != type && !(type == json::value_t::number_unsigned && it->is_number_integer() &&
                                it->get<int64_t>() >= 0)) {
      return nullptr;
    }
    return &*it;
  };
  const json* version = field(j, "v", json::value_t::number_unsigned);
  if (version == nullptr || version->get<int64_t>() != kFormatVersion) {
    return makeError(500, "stored contact list has an unknown format version");
  }
  const json* delta = field(j, "deltaNum", json::value_t::number_unsigned);
  const json* groups_json = field(j, "groups", json::value_t::array);
  const json* contacts_json = field(j, "contacts", json::value_t::array);
  if (delta == nullptr || groups_json == nullptr || contacts_json == nullptr ||
      delta->get<uint64_t>() > UINT32_MAX) {
    return makeError(500, "stored contact list lacks deltaNum, groups or contacts");
  }
  if (groups_json->size() > limits.max_groups || contacts_json->size() > limits.max_contacts) {
    return makeError(500, "stored contact list is larger than the limits allow");
  }
  std::vector<ContactGroup> groups;
  for (const json& g : *groups_json) {
    const json* id = g.is_object() ? field(g, "id", json::value_t::number_unsigned) : nullptr;
    const json* name = g.is_object() ? field(g, "name", json::value_t::string) : nullptr;
    const json* ext = g.is_object() ? field(g, "externalURI", json::value_t::string) : nullptr;
    if (id == nullptr || name == nullptr || ext == nullptr || id->get<uint64_t>() > UINT32_MAX) {
      return makeError(500, "stored contact list has a malformed group");
    }
    groups.push_back(
        ContactGroup{id->get<uint32_t>(), name->get<std::string>(), ext->get<std::string>()});
  }
  std::vector<Contact> contacts;
  for (const json& c : *contacts_json) {
    if (!c.is_object()) {
      return makeError(500, "stored contact list has a malformed contact");
    }
    const json* uri = field(c, "uri", json::value_t::string);
    const json* name = field(c, "name", json::value_t::string);
    const json* ids = field(c, "groups", json::value_t::array);
    const json* subscribed = field(c, "subscribed", json::value_t::boolean);
    const json* ext = field(c, "externalURI", json::value_t::string);
    const json* extension = field(c, "extension", json::value_t::string);
    if (uri == nullptr || name == nullptr || ids == nullptr || subscribed == nullptr ||
        ext == nullptr || extension == nullptr || ids->size() > limits.max_groups) {
      return makeError(500, "stored contact list has a malformed contact");
    }
    Contact contact;
    contact.uri = uri->get<std::string>();
    contact.name = name->get<std::string>();
    contact.subscribed = subscribed->get<bool>();
    contact.external_uri = ext->get<std::string>();
    contact.extension = extension->get<std::string>();
    for (const json& id : *ids) {
      if (!id.is_number_unsigned() || id.get<uint64_t>() > UINT32_MAX) {
        return makeError(500, "stored contact list has a malformed group id");
      }
      contact.groups.push_back(id.get<uint32_t>());
    }
    contacts.push_back(std::move(contact));
  }
  auto list =
      ContactList::restore(delta->get<uint32_t>(), std::move(groups), std::move(contacts), limits);
  if (!list) {
    return makeError(500, "stored contact list is invalid: " + list.error().detail);
  }
  return list;
}

}  // namespace core::presence::roaming
