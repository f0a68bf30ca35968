// SPDX-License-Identifier: Apache-2.0
// Typed client→server XCCOS messages, as produced by decodeClient(). A client
// envelope carries one `<cmd id="cmd:NAME">` or one `<grpchat>` post; each known
// command has a struct here. A command we do not know is UnknownCommand and a
// known one with unusable data is InvalidCommand: the server answers both with
// an error reply instead of dropping the envelope. Plain values, any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core-server/groupchat/xccos_uri.h"

namespace core::groupchat {

// cmd:requri, sent to the lookup service (ocschat@): which channel server to use.
struct RequestUriCommand {};

// cmd:getserverinfo <sib domain infoType/>.
struct GetServerInfoCommand {
  std::string domain;
  uint32_t info_type = 0;
};

// <pref label seqid createdefault [content]/>: one preference document.
struct PrefItem {
  std::string label;   // e.g. "kedzie.GroupChannels"
  uint64_t seqid = 0;  // the version the client holds (getpref) or writes (setpref)
  bool create_default = false;
  std::optional<std::string> content;  // base64 text, validated, kept encoded
};

// cmd:getpref: one or more <pref/> (the call flow says "a set of getpref").
struct GetPrefCommand {
  std::vector<PrefItem> prefs;
};

// cmd:setpref: one or more <pref/>, each with content.
struct SetPrefCommand {
  std::vector<PrefItem> prefs;
};

// cmd:getinv <inv inviteId domain/>: outstanding invitations.
struct GetInvitationsCommand {
  uint64_t invite_id = 0;
  std::string domain;
};

// cmd:bjoin: N × <chanid key domain value/>, in request order.
struct BatchJoinCommand {
  std::vector<ChanId> channels;
};

// cmd:join: exactly one <chanid/>.
struct JoinCommand {
  ChanId channel;
};

// cmd:part <chanib uri/>.
struct PartCommand {
  NodeUri channel;
};

// cmd:chansrch <qib qtype criteria extended [cnt] [after]/>. Empty criteria lists all
// rooms. Paging (our choice, XCCOS.md): results are ordered by name; `cnt` asks for a
// page size (capped at searchLimit) and `after` is the URI of the last room of the
// previous page. A truncated answer ends with the <qib> to send for the next page.
struct ChannelSearchCommand {
  std::string qtype;  // "BYNAME" on the wire; other values are passed through
  std::string criteria;
  bool extended = false;
  std::optional<uint32_t> count;  // page size; absent = searchLimit
  std::optional<NodeUri> after;   // continuation: the previous page's last room
};

// cmd:bccontext <chanib uri/><bcq><last cnt [before]/></bcq>: the `count` posts
// before message id `before` (our paging choice, XCCOS.md), or the last `count`.
struct BackchatCommand {
  NodeUri channel;
  uint32_t count = 0;
  std::optional<int64_t> before;  // a msgid from an earlier history page or post
};

// cmd:getfutok (upload) / cmd:getfdtok (download) <ftdb channelUri fileUrl/>.
struct FileTokenCommand {
  enum class Direction { Upload, Download };
  Direction direction = Direction::Upload;
  NodeUri channel;
  std::string file_url;  // a file name in the samples, e.g. "TestInfoRecord.txt"
};

// cmd:nodespermcreatechild <data/>: may this user create rooms?
struct CreateChildPermissionCommand {};

// A command name we do not implement; answer with MSG_NOT_SUPPORTED.
struct UnknownCommand {
  std::string name;
};

// A known command whose data is missing or malformed; answer with 400.
struct InvalidCommand {
  std::string name;
  std::string detail;
};

// <grpchat id="grpchat" seqid chanUri author ts><chat>text</chat></grpchat>.
struct ChatPost {
  NodeUri channel;
  std::string author;     // as claimed by the client; the server uses the dialog identity
  std::string timestamp;  // the raw ts attribute ("" if absent)
  std::optional<std::chrono::system_clock::time_point> time;  // ts, if it parses
  std::string text;  // normalised: valid UTF-8, CRLF line joins
};

using ClientMessage =
    std::variant<RequestUriCommand, GetServerInfoCommand, GetPrefCommand, SetPrefCommand,
                 GetInvitationsCommand, BatchJoinCommand, JoinCommand, PartCommand,
                 ChannelSearchCommand, BackchatCommand, FileTokenCommand,
                 CreateChildPermissionCommand, UnknownCommand, InvalidCommand, ChatPost>;

struct ClientEnvelope {
  uint64_t envid = 0;  // the client's envelope id; replies echo it in <commandid>
  uint64_t seqid = 0;  // seqid of the cmd or grpchat element; echoed likewise
  std::string name;    // command name without "cmd:" ("requri"), or "grpchat"
  ClientMessage message;
};

}  // namespace core::groupchat
