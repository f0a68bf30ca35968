// SPDX-License-Identifier: Apache-2.0
// The body of a SERVICE with application/msrtc-setcontainermembers+xml: the
// owner adds or removes members of their ACL containers (100 public ... 400
// personal, 32000 blocked; PROTOCOLS.md (b)). The presence service applies it to
// its container table and re-renders presence for the watchers whose level changed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core-server/presence/xml_limits.h"
#include "proxy/base/result.h"

namespace core::presence {

inline constexpr std::string_view kSetContainerMembersContentType =
    "application/msrtc-setcontainermembers+xml";

// Lookup order for a watcher is user, domain, sameEnterprise, publicCloud,
// everyone (sipe_ocs2007_find_access_level); federated sits with publicCloud.
enum class MemberType : uint8_t { User, Domain, SameEnterprise, Federated, PublicCloud, Everyone };
enum class MemberAction : uint8_t { Add, Remove };

struct ContainerMember {
  MemberAction action = MemberAction::Add;
  MemberType type = MemberType::User;
  std::string value;  // a sip: URI for user, a domain for domain, "" otherwise

  bool operator==(const ContainerMember&) const = default;
};

struct ContainerUpdate {
  uint32_t id = 0;
  std::optional<uint32_t> version;  // optimistic concurrency, like publications
  std::vector<ContainerMember> members;

  bool operator==(const ContainerUpdate&) const = default;
};

struct SetContainerMembers {
  std::vector<ContainerUpdate> containers;
};

// 400s: malformed/hostile XML, a root other than
// {http://schemas.microsoft.com/2006/09/sip/container-management}setContainerMembers,
// a container id or version that is not a number, an unknown action or member
// type, a user or domain member without value.
proxy::Result<SetContainerMembers> parseSetContainerMembers(std::string_view xml,
                                                            const XmlLimits& limits);

std::string_view memberTypeName(MemberType type);

}  // namespace core::presence
