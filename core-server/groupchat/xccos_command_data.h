// SPDX-License-Identifier: Apache-2.0
// Internal to the XCCOS decoder: turns the `<data>` of one `<cmd>` into its
// typed command, and holds the small attribute readers the decoder shares.
// Unknown names give UnknownCommand; bad data gives InvalidCommand with a
// detail naming the element and attribute. Pure, any thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "core-server/groupchat/xccos_commands.h"
#include "core-server/groupchat/xccos_xml.h"
#include "proxy/base/result.h"

namespace core::groupchat::detail {

// `data` may be null (a cmd without <data>), which reads as empty data.
ClientMessage decodeCommandData(std::string_view name, const XmlElement* data);

// Attribute readers; errors are 400 and name `<element attr>`.
proxy::Result<std::string_view> requireAttribute(const XmlElement& element, std::string_view name);
proxy::Result<uint64_t> requireUnsigned(const XmlElement& element, std::string_view name);

}  // namespace core::groupchat::detail
