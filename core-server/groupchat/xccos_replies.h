// SPDX-License-Identifier: Apache-2.0
// Typed server→client XCCOS content: the `<data>` of each reply, the notices
// (ntc:join, ntc:bjoin, ntc:part) and chat messages (grpchat fan-out and the
// `<msg id="grpchat">` history form). The service fills these; xccos_encoder.h
// turns them into XML. Shapes come from sipe and the SfB capture; the getinv
// reply shape is our choice (see XCCOS.md). Plain values, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core-server/groupchat/xccos_commands.h"
#include "core-server/groupchat/xccos_names.h"
#include "core-server/groupchat/xccos_time.h"
#include "core-server/groupchat/xccos_uri.h"

namespace core::groupchat {

// <uib id uri/>: a user, numbered within one reply so <aib> can list ids.
struct UserRef {
  uint32_t id = 0;
  std::string uri;  // sip:user@domain
};

// <aib key value="0,1,2"/>: the users (UserRef ids) holding one role.
struct RoleMembers {
  uint32_t key = xccos::kRoleMember;
  std::vector<uint32_t> user_ids;
};

// <info id>value</info> or <prop id>value</prop>.
struct ChannelItem {
  std::string id;
  std::string value;
};
ChannelItem userCountInfo(uint32_t count);                  // urn:parlano:ma:info:ucnt
ChannelItem visibilityInfo(bool is_private);                // …:info:visibilty
ChannelItem channelProperty(std::string_view id, bool on);  // …:prop:* true/false

// <chanib uri name [topic] [description]> <aib/>* <info/>* <prop/>* </chanib>
struct ChannelInfo {
  NodeUri uri;
  std::string name;
  std::optional<std::string> topic;
  std::optional<std::string> description;
  std::vector<RoleMembers> roles;
  std::vector<ChannelItem> info;
  std::vector<ChannelItem> props;
};

// <fib key="OPERATION_FAILED" value="<uuid>" domain="…"/>: a room that failed
// inside rpl:bjoin, in place of its chanib (SfBServerEnforcer).
struct FailedItem {
  std::string key = std::string(xccos::kOperationFailed);
  std::string value;  // the room UUID
  std::string domain;
};
FailedItem failedChannel(const NodeUri& channel);

// A chat message: fanned out as <grpchat>, or inside history as <msg>.
struct ChatMessage {
  NodeUri channel;
  std::string author;  // sip:user@domain
  XccosClock::time_point time;
  std::string text;  // plain text, CRLF line joins
  int64_t id = 0;    // our post id, written as msgid="…" (0: omitted); bccontext pages by it
};

struct EmptyReply {};  // <data/>: setpref-style acknowledgements and errors

struct RequestUriReply {  // rpl:requri <uib uri/>
  std::string uri;
};

struct ServerInfoReply {  // rpl:getserverinfo <sib …/>
  uint32_t info_type = 0;
  XccosClock::time_point server_time;
  uint32_t search_limit = 999;
  uint32_t message_size_limit = 512;
  uint32_t story_size_limit = 4096;
  NodeUri root_uri;        // ma-cat://domain/uuid
  std::string db_version;  // a UUID in the sample
};

struct PrefReply {  // rpl:getpref / rpl:setpref: <pref label seqid [content]/>*
  std::vector<PrefItem> prefs;
};

// One outstanding invitation (shape chosen, unverified):
// <inv inviteId domain author ts><chanib uri name/></inv>
struct Invitation {
  uint64_t invite_id = 0;
  std::string domain;
  NodeUri channel;
  std::string channel_name;
  std::string inviter;  // sip:… of the user who invited
  std::optional<XccosClock::time_point> time;
};
struct InvitationsReply {
  std::vector<Invitation> invitations;
};

struct JoinReply {  // rpl:join / rpl:bjoin: <uib/>* <chanib/>* <fib/>*
  std::vector<UserRef> users;
  std::vector<ChannelInfo> channels;
  std::vector<FailedItem> failed;
};

struct PartReply {  // rpl:part <chanib uri/>
  NodeUri channel;
};

// The <qib> a client sends for the next page of a chansrch (our paging choice).
struct SearchContinuation {
  std::string qtype;
  std::string criteria;
  bool extended = false;
  uint32_t count = 0;
  NodeUri after;  // the last room of this page
};

struct SearchReply {  // rpl:chansrch <chanib …><info/>*<prop/>*</chanib>* [<qib … after/>]
  std::vector<ChannelInfo> channels;
  std::optional<SearchContinuation> next;  // present when more rooms match
};

struct BackchatReply {  // rpl:bccontext <chanib uri [more]><msg id="grpchat" msgid …/>*</chanib>
  NodeUri channel;
  std::vector<ChatMessage> messages;  // oldest first
  bool more = false;                  // older posts exist: ask with before="<first msgid>"
};

struct FileTokenReply {    // rpl:getftok <token token serveruri/>
  std::string token;       // a UUID in the capture
  std::string server_uri;  // https://<pool>/PersistentChat/MGCWebService.asmx
};

using ReplyData =
    std::variant<EmptyReply, RequestUriReply, ServerInfoReply, PrefReply, InvitationsReply,
                 JoinReply, PartReply, SearchReply, BackchatReply, FileTokenReply>;

// ntc:join / ntc:bjoin: <uib uri><aib key domain value/>*</uib>*, where
// domain/value is the split form of the room the user joined with that role.
struct RoomRole {
  uint32_t key = xccos::kRoleMember;
  NodeUri channel;
};
struct JoinedUser {
  std::string uri;
  std::vector<RoomRole> roles;
};
struct JoinNotice {
  bool batch = false;  // ntc:bjoin (a user's batch join) rather than ntc:join
  std::vector<JoinedUser> users;
};

// ntc:part: <chanib uri><uib uri/>*</chanib>.
struct PartNotice {
  NodeUri channel;
  std::vector<std::string> user_uris;
};

using Notice = std::variant<JoinNotice, PartNotice>;

}  // namespace core::groupchat
