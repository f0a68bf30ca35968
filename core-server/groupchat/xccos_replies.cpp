// SPDX-License-Identifier: Apache-2.0
#include "core-server/groupchat/xccos_replies.h"

namespace core::groupchat {

ChannelItem userCountInfo(uint32_t count) {
  return ChannelItem{std::string(xccos::kInfoUserCount), std::to_string(count)};
}

ChannelItem visibilityInfo(bool is_private) {
  return ChannelItem{
      std::string(xccos::kInfoVisibility),
      std::string(is_private ? xccos::kVisibilityPrivate : xccos::kVisibilityPublic)};
}

ChannelItem channelProperty(std::string_view id, bool on) {
  return ChannelItem{std::string(id), on ? "true" : "false"};
}

FailedItem failedChannel(const NodeUri& channel) {
  FailedItem item;
  item.value = channel.uuid();
  item.domain = channel.domain();
  return item;
}

}  // namespace core::groupchat
