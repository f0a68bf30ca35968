// SPDX-License-Identifier: Apache-2.0
// Decodes client→server XCCOS envelopes (the text/plain body of a SIP INFO in
// a group-chat dialog) into typed messages. Envelope-level faults (not XML,
// hostile XML, wrong root or namespace, missing or bad ver/envid/seqid, not
// exactly one cmd or grpchat) are errors: with no envid/seqid there is nothing
// to reply to, so the session answers the INFO itself (Error::status is 400, or
// 413 when over XmlLimits::max_bytes). Faults inside a command's data decode to
// InvalidCommand so the server can send an XCCOS error reply. Pure, any thread.
#pragma once

#include <string_view>

#include "core-server/groupchat/xccos_commands.h"
#include "core-server/groupchat/xccos_xml.h"
#include "proxy/base/result.h"

namespace core::groupchat {

proxy::Result<ClientEnvelope> decodeClient(std::string_view xml, const XmlLimits& limits);

// The reply name for a command name: "getftok" answers both getfutok and
// getfdtok (SfB capture); every other command is answered by rpl:<same name>.
std::string_view replyNameFor(std::string_view command_name);

// True for standard base64 (RFC 4648 §4) with correct padding; "" is valid.
bool isBase64(std::string_view text);

}  // namespace core::groupchat
