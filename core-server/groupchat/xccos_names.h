// SPDX-License-Identifier: Apache-2.0
// The fixed vocabulary of XCCOS ([MS-XCCOSIP]): the namespace, the declarations
// server envelopes carry, role keys, and the info/property ids used in channel
// descriptions. Values marked "unverified" are our choice pending a capture or
// the spec text; see core-server/groupchat/XCCOS.md for the evidence.
#pragma once

#include <cstdint>
#include <string_view>

namespace core::groupchat::xccos {

inline constexpr std::string_view kNamespace = "urn:parlano:xml:ns:xccos";
inline constexpr std::string_view kXsdNamespace = "http://www.w3.org/2001/XMLSchema";
inline constexpr std::string_view kXsiNamespace = "http://www.w3.org/2001/XMLSchema-instance";
inline constexpr std::string_view kVersion = "1";

// <aib key=…>: role keys. 3984 and 12276 are what sipe has seen and compares
// against (12276 = channel operators). 12276 & 3984 == 3984, so they look like
// permission bit sets rather than enum values; we only ever emit these two.
inline constexpr uint32_t kRoleMember = 3984;
inline constexpr uint32_t kRoleChannelOperator = 12276;

// <fib key=…> for a room that failed inside a batch (SfBServerEnforcer).
inline constexpr std::string_view kOperationFailed = "OPERATION_FAILED";

// <info id=…> and <prop id=…> in channel descriptions (sipe; "visibilty" sic).
inline constexpr std::string_view kInfoUserCount = "urn:parlano:ma:info:ucnt";
inline constexpr std::string_view kInfoVisibility = "urn:parlano:ma:info:visibilty";
inline constexpr std::string_view kPropFilePost = "urn:parlano:ma:prop:filepost";
inline constexpr std::string_view kPropInvite = "urn:parlano:ma:prop:invite";
inline constexpr std::string_view kPropLogged = "urn:parlano:ma:prop:logged";
inline constexpr std::string_view kVisibilityPrivate = "private";  // sipe checks for this
inline constexpr std::string_view kVisibilityPublic = "public";    // unverified

// chansrch qtype values: only BYNAME is seen on the wire (sipe).
inline constexpr std::string_view kSearchByName = "BYNAME";

}  // namespace core::groupchat::xccos
