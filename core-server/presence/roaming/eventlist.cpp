// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/roaming/eventlist.h"

#include <utility>

#include "core-server/presence/roaming/roaming_namespaces.h"

namespace core::presence::roaming {
namespace {

std::string instanceIdFor(std::string_view uri) {
  uint32_t hash = 2166136261u;  // FNV-1a: stable across restarts and builds
  for (char c : uri) {
    hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(8, '0');
  for (int i = 7; i >= 0; --i, hash >>= 4) {
    out[static_cast<size_t>(i)] = kHex[hash & 0xf];
  }
  return out;
}

}  // namespace

std::vector<ResourceState> listResources(const ContactList& list) {
  std::vector<ResourceState> out;
  for (const Contact& c : list.contacts()) {
    if (!c.subscribed) {
      continue;
    }
    ResourceState r;
    r.uri = c.uri;
    r.name = c.name;
    r.instance_id = instanceIdFor(c.uri);
    r.state = InstanceState::Pending;
    out.push_back(std::move(r));
  }
  return out;
}

proxy::Result<MultipartBody> buildEventListBody(const EventListRequest& request) {
  if (request.list_uri.empty() || request.cid_domain.empty()) {
    return proxy::makeError(500, "eventlist: list URI and cid domain are required");
  }
  RlmiList list;
  list.uri = request.list_uri;
  list.version = request.version;
  list.full_state = request.full_state;
  std::vector<MimePart> parts(1);
  const std::string suffix = "." + request.boundary + "@" + request.cid_domain;
  for (size_t i = 0; i < request.resources.size(); ++i) {
    const ResourceState& r = request.resources[i];
    if (r.instance_id.empty()) {
      return proxy::makeError(500, "eventlist: resource " + r.uri + " without instance id");
    }
    RlmiResource resource;
    resource.uri = r.uri;
    if (!r.name.empty()) {
      resource.names.push_back(RlmiName{r.name, {}});
    }
    RlmiInstance instance{r.instance_id, r.state, r.reason, {}, {}};
    if (!r.body.empty()) {
      instance.cid = "r" + std::to_string(i) + suffix;
      parts.push_back(MimePart{r.content_type, instance.cid, r.body});
    }
    resource.instances.push_back(std::move(instance));
    list.resources.push_back(std::move(resource));
  }
  parts[0] = MimePart{std::string(kRlmiContentType) + ";charset=\"UTF-8\"", "rlmi" + suffix,
                      renderRlmi(list)};
  return buildMultipartRelated(request.boundary, parts);
}

}  // namespace core::presence::roaming
