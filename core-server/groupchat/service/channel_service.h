// SPDX-License-Identifier: Apache-2.0
// The channel service: the XCCOS side of group chat, without SIP. A SIP stage
// opens a session per channel dialog, feeds it each INFO body and gets back the
// status to answer that INFO with; replies, notices and fan-out posts leave
// later, batched per session and per kind (sipe reads one kind per envelope),
// through the SessionSink. Rooms, their live participants and every session
// live on one shard, so nothing here is shared or locked. Posts are answered
// only after the store committed them, then fanned out to the room.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core-server/groupchat/service/channel_hub.h"
#include "core-server/groupchat/service/groupchat_store.h"
#include "core-server/groupchat/service/room.h"
#include "core-server/groupchat/xccos_commands.h"
#include "core-server/groupchat/xccos_encoder.h"
#include "core-server/groupchat/xccos_replies.h"
#include "core-server/groupchat/xccos_text.h"
#include "core-server/groupchat/xccos_xml.h"

namespace core::groupchat {

using SessionId = uint64_t;

// Where the service's envelopes go: the SIP stage sends each as a server INFO.
class SessionSink {
 public:
  virtual ~SessionSink() = default;
  virtual void sendEnvelope(SessionId session, std::string xml) = 0;
};

struct ChannelOptions {
  std::string domain;  // the domain of ma-chan:// and ma-cat:// URIs
  uint32_t search_limit = 100;
  PostLimits post_limits;
  uint32_t max_history = 200;   // cap on bccontext's <last cnt>
  uint32_t bjoin_history = 10;  // contextual posts per room after a bjoin
  uint32_t max_sessions = 20000;
  uint32_t max_rooms_per_session = 500;
  uint32_t max_posts_in_flight = 64;  // per session, before INFOs get 503
  // Commands per session: a token bucket (reads run on the shard thread, so a
  // flood must not monopolise it); over it, INFOs get 503 + Retry-After.
  uint32_t commands_per_second = 20;
  uint32_t command_burst = 100;
  size_t max_envelope_bytes = 48 * 1024;  // split batches above this
  // Join/part notices wait this long so a burst of joins reaches each participant as a
  // few INFOs, not one per joiner (0: with the next flush, i.e. at the end of the turn).
  uint32_t notice_delay_ms = 0;
  uint32_t max_users_per_notice = 200;   // coalesced uib entries in one <ntc>
  std::string file_service_uri;          // serveruri of rpl:getftok
  uint32_t file_token_lifetime_s = 300;  // single-use tokens expire after this
  XmlLimits xml;
};

// The status to answer an INFO with (200, or 4xx/503); `retry_after_s` for 503.
struct InfoAnswer {
  int status = 200;
  uint32_t retry_after_s = 0;
};
using AnswerFn = std::function<void(InfoAnswer)>;

class ChannelService {
 public:
  using Poster = std::function<void(std::function<void()>)>;  // runs a task later on this shard
  // Runs a task on this shard after `ms` (one outstanding call at a time).
  using Delayer = std::function<void(uint32_t ms, std::function<void()>)>;

  ChannelService(ChannelOptions options, std::shared_ptr<GroupChatStore> store,
                 std::unique_ptr<GroupChatStore::Reader> reader, SessionSink& sink, Poster poster);
  ~ChannelService();
  ChannelService(const ChannelService&) = delete;
  ChannelService& operator=(const ChannelService&) = delete;

  // Loads the catalogue; again whenever its version changed (called by housekeeping()).
  proxy::Result<void> reload();
  // A new channel session for `user` (user@domain), or nullopt when full.
  std::optional<SessionId> openSession(std::string user);
  // The session ended (BYE, expiry, 481/487 to our INFO): parts its rooms.
  void closeSession(SessionId session);
  // One INFO body. `answer` is called exactly once: at once for commands, after
  // the commit for posts.
  void onInfo(SessionId session, std::string_view body, AnswerFn answer);
  // Periodic: catalogue reload, retention.
  void housekeeping(int64_t now_ms);

  // Joins the process's channel services (several channel URIs): posts and notices
  // are relayed to the peers' participants. `shard` is this service's shard.
  void joinHub(std::shared_ptr<ChannelHub> hub, unsigned shard);
  // Enables options.notice_delay_ms; without a delayer notices leave with the turn's flush.
  void setDelayer(Delayer delayer) { delayer_ = std::move(delayer); }

  size_t sessionCount() const { return sessions_.size(); }
  const Room* room(const std::string& uuid) const;
  size_t participants(const std::string& uuid) const;

 private:
  struct Session {
    std::string user;  // user@domain
    std::set<std::string> rooms;
    uint32_t posts_in_flight = 0;
    double command_tokens = 0;
    int64_t tokens_at_ms = 0;
    uint64_t next_envid = 1;
    std::optional<EnvelopeBuilder> replies, notices, chats;
    // Notices not yet encoded: shared by every recipient, merged at flush (join bursts).
    std::vector<std::shared_ptr<const Notice>> pending_notices;
    bool flush_queued = false;
  };
  struct LiveRoom {
    Room room;
    std::map<SessionId, std::string> participants;  // session → user
    std::map<std::string, uint32_t> present;        // user → sessions here (roster order)
  };
  // The uib list of one reply and its index, so a roster costs O(users), not O(users²).
  struct UserTable {
    std::vector<UserRef>& users;
    std::unordered_map<std::string, uint32_t> ids;  // sip URI → uib id
    uint32_t idOf(const std::string& uri);
  };

  void handle(SessionId id, Session& s, const ClientEnvelope& e);
  ReplyData serverInfo(const GetServerInfoCommand& c) const;
  void getPrefs(SessionId id, Session& s, const ClientEnvelope& e, const GetPrefCommand& c);
  void setPrefs(SessionId id, Session& s, const ClientEnvelope& e, const SetPrefCommand& c);
  void getInvitations(SessionId id, Session& s, const ClientEnvelope& e);
  void join(SessionId id, Session& s, const ClientEnvelope& e, const std::vector<ChanId>& ids,
            bool batch);
  void part(SessionId id, Session& s, const ClientEnvelope& e, const NodeUri& channel);
  void search(SessionId id, Session& s, const ClientEnvelope& e, const ChannelSearchCommand& c);
  void backchat(SessionId id, Session& s, const ClientEnvelope& e, const BackchatCommand& c);
  void fileToken(SessionId id, Session& s, const ClientEnvelope& e, const FileTokenCommand& c);
  void post(SessionId id, Session& s, const ChatPost& p, AnswerFn answer);
  void postCommitted(SessionId from, const StoredPost& post, bool ok, AnswerFn answer);

  // Room lookup as a user sees it: nullptr for rooms that do not exist or that
  // the user may not see (a secret room looks like no room at all).
  LiveRoom* visibleRoom(const NodeUri& uri, const std::string& user);
  ChannelInfo describe(const LiveRoom& room, UserTable* users) const;  // roles when users set
  bool enter(SessionId id, const std::string& user, LiveRoom& room);   // true: first session
  ChatMessage toMessage(const StoredPost& post) const;
  void leaveRoom(SessionId id, const std::string& user, LiveRoom& room);
  // True (and the user is a member from now on) when an invitation to the room waits.
  bool acceptInvitation(LiveRoom& room, const std::string& user);
  // Runs `deliver` on every peer service, on its own shard.
  void relay(std::function<void(ChannelService&)> deliver);
  void deliverChat(const StoredPost& post);  // from a peer
  void deliverNotice(const std::string& room,
                     const std::shared_ptr<const Notice>& notice);  // from a peer

  void queueReply(Session& s, SessionId id, const ClientEnvelope& e, const ResultCode& code,
                  const ReplyData& data);
  void queueNotice(SessionId id, const std::shared_ptr<const Notice>& notice);
  void flushNotices();  // the delayed notice flush: every session with pending notices
  void encodeNotices(SessionId id, Session& s);
  void queueChat(SessionId id, const ChatMessage& message);
  EnvelopeBuilder& builder(Session& s, SessionId id, std::optional<EnvelopeBuilder>& slot);
  void scheduleFlush(SessionId id, Session& s);
  void flush(SessionId id);

  ChannelOptions options_;
  std::shared_ptr<GroupChatStore> store_;
  std::unique_ptr<GroupChatStore::Reader> reader_;
  SessionSink& sink_;
  Poster poster_;
  std::shared_ptr<ChannelService*> self_;  // weak handle for store completions
  int64_t catalogue_version_ = -2;
  int64_t last_retention_ms_ = 0;
  SessionId next_session_ = 1;
  std::unordered_map<SessionId, Session> sessions_;
  std::map<std::string, LiveRoom> rooms_;  // by uuid
  std::string root_uuid_;
  std::shared_ptr<ChannelHub> hub_;
  unsigned shard_ = 0;
  std::vector<ChannelHub::Member> peers_;  // copied from the hub by housekeeping()
  Delayer delayer_;
  bool notice_flush_armed_ = false;
  std::vector<SessionId> notice_sessions_;  // sessions with pending notices, for flushNotices()
  bool peers_known_ = false;
};

}  // namespace core::groupchat
