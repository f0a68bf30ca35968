// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/ms_container_members.h"

#include "core-server/presence/namespaces.h"
#include "core-server/presence/xml_tree.h"
#include "proxy/base/strings.h"

namespace core::presence {
namespace {

using proxy::makeError;
using proxy::Result;

constexpr std::string_view kWhere = "setContainerMembers: ";

std::string attr(const XmlElement& e, std::string_view name) {
  return std::string(proxy::trim(e.attribute(name).value_or("")));
}

std::optional<MemberType> memberTypeOf(std::string_view s) {
  for (MemberType t : {MemberType::User, MemberType::Domain, MemberType::SameEnterprise,
                       MemberType::Federated, MemberType::PublicCloud, MemberType::Everyone}) {
    if (s == memberTypeName(t)) {
      return t;
    }
  }
  return std::nullopt;
}

Result<ContainerMember> parseMember(const XmlElement& e) {
  ContainerMember m;
  const std::string action = attr(e, "action");
  if (action == "add") {
    m.action = MemberAction::Add;
  } else if (action == "remove") {
    m.action = MemberAction::Remove;
  } else {
    return makeError(400, std::string(kWhere) + "unknown member action \"" + action + "\"");
  }
  const std::string type = attr(e, "type");
  const auto t = memberTypeOf(type);
  if (!t) {
    return makeError(400, std::string(kWhere) + "unknown member type \"" + type + "\"");
  }
  m.type = *t;
  m.value = attr(e, "value");
  if (m.value.empty() && (m.type == MemberType::User || m.type == MemberType::Domain)) {
    return makeError(400, std::string(kWhere) + "a " + type + " member needs a value");
  }
  return m;
}

Result<ContainerUpdate> parseContainer(const XmlElement& e) {
  ContainerUpdate c;
  const auto id = proxy::parseUnsigned<uint32_t>(attr(e, "id"));
  if (!id) {
    return makeError(
        400, std::string(kWhere) + "container id \"" + attr(e, "id") + "\" is not a number");
  }
  c.id = *id;
  if (e.attribute("version")) {
    const auto version = proxy::parseUnsigned<uint32_t>(attr(e, "version"));
    if (!version) {
      return makeError(400, std::string(kWhere) + "container " + std::to_string(c.id) +
                                ": version is not a number");
    }
    c.version = *version;
  }
  for (XmlElement m : e.children()) {
    if (!m.is(ns::kMsContainerManagement, "member")) {
      continue;
    }
    auto member = parseMember(m);
    if (!member) {
      return member.error();
    }
    c.members.push_back(std::move(*member));
  }
  return c;
}

}  // namespace

std::string_view memberTypeName(MemberType type) {
  switch (type) {
    case MemberType::User:
      return "user";
    case MemberType::Domain:
      return "domain";
    case MemberType::SameEnterprise:
      return "sameEnterprise";
    case MemberType::Federated:
      return "federated";
    case MemberType::PublicCloud:
      return "publicCloud";
    case MemberType::Everyone:
      return "everyone";
  }
  return "user";
}

Result<SetContainerMembers> parseSetContainerMembers(std::string_view xml,
                                                     const XmlLimits& limits) {
  auto parsed = XmlDocument::parse(xml, limits);
  if (!parsed) {
    return parsed.error();
  }
  const XmlElement root = parsed->root();
  if (!root.is(ns::kMsContainerManagement, "setContainerMembers")) {
    return makeError(400, std::string(kWhere) + "root element must be {" +
                              std::string(ns::kMsContainerManagement) +
                              "}setContainerMembers, got " + root.expandedName());
  }
  SetContainerMembers out;
  for (XmlElement e : root.children()) {
    if (!e.is(ns::kMsContainerManagement, "container")) {
      continue;
    }
    auto container = parseContainer(e);
    if (!container) {
      return container.error();
    }
    out.containers.push_back(std::move(*container));
  }
  return out;
}

}  // namespace core::presence
