// SPDX-License-Identifier: Apache-2.0
// vnd-microsoft-provisioning-v2 (MS-SIPREGE §2.2.2.5): the one-shot
// configuration a 2007-style client fetches at sign-in with a SUBSCRIBE
// (Expires: 0) whose body lists the groups it wants:
//   <provisioningGroupList xmlns="http://schemas.microsoft.com/2006/09/sip/provisioninggrouplist">
//     <provisioningGroup name="ServerConfiguration"/>...</provisioningGroupList>
// (sipe-subscriptions.c sipe_subscribe_roaming_provisioning_v2). The answer,
// application/vnd-microsoft-roaming-provisioning-v2+xml, is
//   <provisionGroupList xmlns=".../provisiongrouplist-notification">
//     <provisionGroup
//     name="ServerConfiguration"><focusFactoryUri>..</focusFactoryUri>..</provisionGroup>
//     <provisionGroup name="persistentChatConfiguration"><propertyEntryList>
//       <property name="EnablePersistentChat">true</property>
//       <property name="DefaultPersistentChatPoolUri">sip:ocschat@example.com</property>
//     </propertyEntryList></provisionGroup>...</provisionGroupList>
// read by sipe-notify.c sipe_process_provisioning_v2(): provisionGroup/@name,
// ServerConfiguration child elements by name, and for persistent chat the two
// properties above; sipe-groupchat.c sipe_groupchat_init() then opens the
// group-chat session with the pool URI.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core-server/presence/xml_limits.h"
#include "proxy/base/result.h"

namespace core::presence::roaming {

inline constexpr std::string_view kProvisionServerConfiguration = "ServerConfiguration";
inline constexpr std::string_view kProvisionMeetingPolicy = "meetingPolicy";
inline constexpr std::string_view kProvisionPersistentChat = "persistentChatConfiguration";
inline constexpr std::string_view kProvisionUcPolicy = "ucPolicy";

// The group names of a provisioningGroupList request body, in order. An empty
// body means the four groups sipe asks for. 400s: malformed/hostile XML, a
// wrong root or namespace, a group without name.
proxy::Result<std::vector<std::string>> parseProvisioningGroupList(std::string_view xml,
                                                                   const XmlLimits& limits);

struct ProvisioningConfig {
  std::string domain;  // the user's SIP domain
  // "" = "sip:ocschat@<domain>", the name sipe itself falls back to.
  std::string persistent_chat_pool_uri;
  bool persistent_chat_enabled = true;
  // ServerConfiguration values; empty ones are left out. sipe reads
  // focusFactoryUri (conferencing), dlx/abs URLs (address book), mrasUri (A/V edge).
  std::string focus_factory_uri;
  std::string abs_internal_url;
  std::string abs_external_url;
  std::string dlx_internal_url;
  std::string dlx_external_url;
  // sipe: anything but SupportEncryption/DoNotSupportEncryption means "required".
  std::string pc2pc_av_encryption = "SupportEncryption";
  // Extra properties per group ("meetingPolicy", "ucPolicy", ...), written as
  // <propertyEntryList><property name=..>value</property>.
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>>
      extra_properties;
};

// The pool URI the document will carry.
std::string persistentChatPoolUri(const ProvisioningConfig& config);

// One <provisionGroup> per requested name that we know (the four above);
// unknown names are skipped, as a server does for groups it does not serve.
std::string renderProvisioningV2(const ProvisioningConfig& config,
                                 const std::vector<std::string>& groups);

}  // namespace core::presence::roaming
