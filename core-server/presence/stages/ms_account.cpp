// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/stages/ms_account.h"

#include <nlohmann/json.hpp>

#include "core-server/presence/ms_mapping.h"
#include "core-server/presence/namespaces.h"
#include "core-server/presence/roaming/contact_list_json.h"
#include "core-server/presence/xml_writer.h"

namespace core::presence {

namespace {

using nlohmann::json;

CategoryKey keyOf(const CategoryPublication& p) { return {p.name, p.instance, p.container}; }

// One stored publication as a one-publication publish document, so that loading
// re-reads its payload exactly as the original request was read.
std::string publishDocument(const CategoryPublication& p) {
  std::string out;
  XmlWriter w(out);
  w.open("publish");
  w.attribute("xmlns", ns::kMsRichPresence);
  w.open("publications");
  w.attribute("uri", "sip:x@x");
  w.open("publication");
  w.attribute("categoryName", p.name);
  w.attribute("instance", std::to_string(p.instance));
  w.attribute("container", std::to_string(p.container));
  w.attribute("version", std::to_string(p.version));
  w.attribute("expireType", expireTypeName(p.expire_type));
  w.raw(p.xml);
  w.close();
  w.close();
  w.close();
  return out;
}

}  // namespace

CategoryPublishOutcome applyCategoryPublish(MsAccount& account, const CategoryPublish& request,
                                            std::string_view epid, int64_t now) {
  CategoryPublishOutcome outcome;
  for (size_t i = 0; i < request.publications.size(); ++i) {
    const CategoryPublication& p = request.publications[i];
    auto it = account.categories.find(keyOf(p));
    const uint32_t current = it == account.categories.end() ? 0 : it->second.publication.version;
    if (p.version != current) {
      outcome.conflicts.push_back({static_cast<uint32_t>(i + 1), p.version, current});
    }
  }
  if (!outcome.conflicts.empty()) {
    return outcome;
  }
  for (const CategoryPublication& p : request.publications) {
    if (p.removes()) {
      outcome.changed = account.categories.erase(keyOf(p)) > 0 || outcome.changed;
      continue;
    }
    StoredCategory stored{p, std::string(epid)};
    stored.publication.version = p.version + 1;
    stored.publication.publish_time = now;
    stored.publication.expires.reset();
    account.categories.insert_or_assign(keyOf(p), std::move(stored));
    outcome.changed = true;
  }
  return outcome;
}

bool dropEndpointPublications(MsAccount& account) {
  return std::erase_if(account.categories, [](const auto& entry) {
           return entry.second.publication.expire_type == ExpireType::Endpoint;
         }) > 0;
}

MsFold foldAccount(const MsAccount& account, int64_t now) {
  MsFold fold;
  std::map<std::string, EndpointPresence> endpoints;  // by epid
  std::set<std::string> live;                         // epids that published endpoint-bound state
  EndpointPresence scratch;  // user-level publications touch no endpoint field we keep
  for (const auto& [key, stored] : account.categories) {
    const CategoryPublication& p = stored.publication;
    const bool endpoint_bound = p.expire_type == ExpireType::Endpoint;
    EndpointPresence& target = endpoint_bound ? endpoints[stored.epid] : scratch;
    foldPublication(p, fold.user_level, target);
    if (endpoint_bound) {
      live.insert(stored.epid);
    }
  }
  for (auto& [epid, endpoint] : endpoints) {
    if (live.count(epid) == 0) {
      continue;
    }
    endpoint.source_id = std::string(kMsSourcePrefix) + epid;
    endpoint.dialect = Dialect::MsCategories;
    endpoint.published_at = now;
    fold.endpoints.push_back(std::move(endpoint));
  }
  return fold;
}

std::vector<MsCategoryInstance> roamingCategories(const MsAccount& account) {
  std::vector<MsCategoryInstance> out;
  for (const auto& [key, stored] : account.categories) {
    const CategoryPublication& p = stored.publication;
    out.push_back({p.name, p.instance, p.container, p.version, p.publish_time, p.xml});
  }
  return out;
}

void applyContainerMembers(MsAccount& account, const SetContainerMembers& request) {
  for (const ContainerUpdate& update : request.containers) {
    roaming::RoamingContainer& c = account.containers[update.id];
    c.id = update.id;
    ++c.version;
    for (const ContainerMember& m : update.members) {
      roaming::RoamingMember member{std::string(memberTypeName(m.type)), m.value};
      std::erase(c.members, member);
      if (m.action == MemberAction::Add) {
        c.members.push_back(std::move(member));
      }
    }
  }
}

std::string accountToJson(const MsAccount& account) {
  json j;
  j["v"] = 1;
  j["contacts"] = roaming::contactListToJson(account.contacts);
  json categories = json::array();
  for (const auto& [key, stored] : account.categories) {
    const CategoryPublication& p = stored.publication;
    categories.push_back(
        {{"doc", publishDocument(p)}, {"epid", stored.epid}, {"time", p.publish_time}});
  }
  j["categories"] = std::move(categories);
  json containers = json::array();
  for (const auto& [id, c] : account.containers) {
    json members = json::array();
    for (const roaming::RoamingMember& m : c.members) {
      members.push_back({{"type", m.type}, {"value", m.value}});
    }
    containers.push_back({{"id", c.id}, {"version", c.version}, {"members", std::move(members)}});
  }
  j["containers"] = std::move(containers);
  j["acknowledged"] = account.acknowledged;
  return j.dump();
}

proxy::Result<MsAccount> accountFromJson(std::string_view text, const XmlLimits& limits,
                                         const roaming::ContactListLimits& contact_limits) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.value("v", 0) != 1 || !j.contains("contacts") ||
      !j["contacts"].is_string()) {
    return proxy::makeError(500, "stored MS account: not a version 1 record");
  }
  MsAccount account;
  auto contacts = roaming::contactListFromJson(j["contacts"].get<std::string>(), contact_limits);
  if (!contacts) {
    return contacts.error();
  }
  account.contacts = std::move(*contacts);
  for (const json& c : j.value("categories", json::array())) {
    if (!c.is_object() || !c.contains("doc") || !c["doc"].is_string()) {
      continue;
    }
    auto doc = parseCategoryPublish(c["doc"].get<std::string>(), limits);
    if (!doc || doc->publications.size() != 1) {
      continue;  // unreadable: dropped rather than failing the whole account
    }
    StoredCategory stored{std::move(doc->publications[0]), c.value("epid", std::string())};
    stored.publication.publish_time = c.value("time", int64_t{0});
    account.categories.insert_or_assign(keyOf(stored.publication), std::move(stored));
  }
  for (const json& c : j.value("containers", json::array())) {
    if (!c.is_object()) {
      continue;
    }
    roaming::RoamingContainer container;
    container.id = c.value("id", 0u);
    container.version = c.value("version", 0u);
    for (const json& m : c.value("members", json::array())) {
      if (m.is_object()) {
        container.members.push_back({m.value("type", std::string()), m.value("value", "")});
      }
    }
    account.containers[container.id] = std::move(container);
  }
  for (const json& a : j.value("acknowledged", json::array())) {
    if (a.is_string()) {
      account.acknowledged.insert(a.get<std::string>());
    }
  }
  return account;
}

}  // namespace core::presence
