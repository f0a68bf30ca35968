// SPDX-License-Identifier: Apache-2.0
#include "core-server/groupchat/service/channel_service.h"

#include <chrono>

#include "core-server/groupchat/xccos_decoder.h"
#include "proxy/base/counters.h"
#include "proxy/base/log.h"

namespace core::groupchat {
namespace {

// The root category and database version we advertise: fixed, so they never
// change across restarts (clients may cache them).
constexpr std::string_view kRootUuid = "6b0a3c2e-0f4e-4a8b-9d41-3a1c0f5e7b20";
constexpr std::string_view kDbVersion = "c0fab000-0000-4000-8000-000000000001";

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(XccosClock::now().time_since_epoch())
      .count();
}

// "sip:user@domain" for an AOR kept as "user@domain".
std::string sipUri(std::string_view aor) { return "sip:" + std::string(aor); }

}  // namespace

ChannelService::ChannelService(ChannelOptions options, std::shared_ptr<GroupChatStore> store,
                               std::unique_ptr<GroupChatStore::Reader> reader, SessionSink& sink,
                               Poster poster)
    : options_(std::move(options)),
      store_(std::move(store)),
      reader_(std::move(reader)),
      sink_(sink),
      poster_(std::move(poster)),
      self_(std::make_shared<ChannelService*>(this)),
      root_uuid_(kRootUuid) {}

ChannelService::~ChannelService() { *self_ = nullptr; }

proxy::Result<void> ChannelService::reload() {
  const int64_t version = reader_->catalogueVersion();
  auto catalogue = reader_->catalogue();
  if (!catalogue) {
    return catalogue.error();
  }
  std::map<std::string, LiveRoom> rooms;
  for (Room& room : catalogue->rooms) {
    LiveRoom live{std::move(room), {}, {}};
    if (auto old = rooms_.find(live.room.uuid); old != rooms_.end()) {
      // Keep the participants who may still be there.
      for (auto& [session, user] : old->second.participants) {
        if (canJoin(live.room, user)) {
          live.participants.emplace(session, user);
          ++live.present[user];
        }
      }
    }
    rooms.emplace(live.room.uuid, std::move(live));
  }
  for (auto& [sid, session] : sessions_) {
    const SessionId id = sid;
    std::erase_if(session.rooms, [&](const std::string& uuid) {
      auto it = rooms.find(uuid);
      return it == rooms.end() || !it->second.participants.contains(id);
    });
  }
  rooms_ = std::move(rooms);
  catalogue_version_ = version;
  return {};
}

std::optional<SessionId> ChannelService::openSession(std::string user) {
  if (sessions_.size() >= options_.max_sessions) {
    return std::nullopt;
  }
  const SessionId id = next_session_++;
  Session& s = sessions_[id];
  s.user = std::move(user);
  // Random-looking envelope ids, unique per session, as the SfB capture shows 64-bit ones.
  s.next_envid = (static_cast<uint64_t>(nowMs()) << 20) ^ (id * 0x9E3779B97F4A7C15ULL);
  return id;
}

void ChannelService::closeSession(SessionId id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    return;
  }
  const std::string user = it->second.user;
  const std::set<std::string> rooms = it->second.rooms;
  sessions_.erase(it);
  for (const std::string& uuid : rooms) {
    if (auto room = rooms_.find(uuid); room != rooms_.end()) {
      leaveRoom(id, user, room->second);
    }
  }
}

const Room* ChannelService::room(const std::string& uuid) const {
  auto it = rooms_.find(uuid);
  return it == rooms_.end() ? nullptr : &it->second.room;
}

size_t ChannelService::participants(const std::string& uuid) const {
  auto it = rooms_.find(uuid);
  return it == rooms_.end() ? 0 : it->second.participants.size();
}

void ChannelService::onInfo(SessionId id, std::string_view body, AnswerFn answer) {
  static auto bad = proxy::counters::get("groupchat.info.malformed");
  static auto busy = proxy::counters::get("groupchat.info.busy");
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    answer({481, 0});
    return;
  }
  Session& s = it->second;
  auto envelope = decodeClient(body, options_.xml);
  if (!envelope) {
    bad.add();
    answer({envelope.error().status == 0 ? 400 : envelope.error().status, 0});
    return;
  }
  if (auto* p = std::get_if<ChatPost>(&envelope->message)) {
    if (s.posts_in_flight >= options_.max_posts_in_flight) {
      busy.add();
      answer({503, 1});  // the client retries (seed 003)
      return;
    }
    post(id, s, *p, std::move(answer));
    return;
  }
  if (std::holds_alternative<InvalidCommand>(envelope->message) && envelope->name == "grpchat") {
    answer({400, 0});  // a bad post has no XCCOS reply
    return;
  }
  // Refill the session's command bucket, then spend one token.
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  if (s.tokens_at_ms == 0) {
    s.command_tokens = options_.command_burst;
  } else {
    s.command_tokens = std::min<double>(
        options_.command_burst, s.command_tokens + static_cast<double>(now - s.tokens_at_ms) *
                                                       options_.commands_per_second / 1000.0);
  }
  s.tokens_at_ms = now;
  if (s.command_tokens < 1) {
    busy.add();
    answer({503, 1});
    return;
  }
  s.command_tokens -= 1;
  answer({200, 0});
  handle(id, s, *envelope);
}

void ChannelService::handle(SessionId id, Session& s, const ClientEnvelope& e) {
  static auto commands = proxy::counters::get("groupchat.commands");
  commands.add();
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, GetServerInfoCommand>) {
          queueReply(s, id, e, xccos::kSuccess, serverInfo(c));
        } else if constexpr (std::is_same_v<T, GetPrefCommand>) {
          getPrefs(id, s, e, c);
        } else if constexpr (std::is_same_v<T, SetPrefCommand>) {
          setPrefs(id, s, e, c);
        } else if constexpr (std::is_same_v<T, GetInvitationsCommand>) {
          getInvitations(id, s, e);
        } else if constexpr (std::is_same_v<T, BatchJoinCommand>) {
          join(id, s, e, c.channels, true);
        } else if constexpr (std::is_same_v<T, JoinCommand>) {
          join(id, s, e, {c.channel}, false);
        } else if constexpr (std::is_same_v<T, PartCommand>) {
          part(id, s, e, c.channel);
        } else if constexpr (std::is_same_v<T, ChannelSearchCommand>) {
          search(id, s, e, c);
        } else if constexpr (std::is_same_v<T, BackchatCommand>) {
          backchat(id, s, e, c);
        } else if constexpr (std::is_same_v<T, FileTokenCommand>) {
          fileToken(id, s, e, c);
        } else if constexpr (std::is_same_v<T, CreateChildPermissionCommand>) {
          // Rooms are created by administrators (YAML, confabctl), not by clients.
          queueReply(s, id, e, xccos::kAccessDenied, EmptyReply{});
        } else if constexpr (std::is_same_v<T, UnknownCommand> ||
                             std::is_same_v<T, InvalidCommand> ||
                             std::is_same_v<T, RequestUriCommand>) {
          EnvelopeBuilder& b = builder(s, id, s.replies);
          b.rejectTo(e);
          scheduleFlush(id, s);
        }
      },
      e.message);
}

ReplyData ChannelService::serverInfo(const GetServerInfoCommand& c) const {
  return ServerInfoReply{
      .info_type = c.info_type,
      .server_time = XccosClock::now(),
      .search_limit = options_.search_limit,
      .message_size_limit = options_.post_limits.message_bytes,
      .story_size_limit = options_.post_limits.story_bytes,
      .root_uri = *NodeUri::make(NodeKind::Category, options_.domain, root_uuid_),
      .db_version = std::string(kDbVersion)};
}

void ChannelService::getPrefs(SessionId id, Session& s, const ClientEnvelope& e,
                              const GetPrefCommand& c) {
  auto stored = reader_->prefs(s.user);
  if (!stored) {
    queueReply(s, id, e, xccos::kServiceUnavailable, EmptyReply{});
    return;
  }
  PrefReply reply;
  for (const PrefItem& want : c.prefs) {
    auto it = std::find_if(stored->begin(), stored->end(),
                           [&](const StoredPref& p) { return p.label == want.label; });
    if (it != stored->end()) {
      reply.prefs.push_back({it->label, it->seqid, false, it->content});
    } else if (want.create_default) {
      reply.prefs.push_back({want.label, 0, false, std::string()});
    }
  }
  if (reply.prefs.empty() && !c.prefs.empty()) {
    queueReply(s, id, e, xccos::kNotFound, EmptyReply{});
    return;
  }
  queueReply(s, id, e, xccos::kSuccess, reply);
}

void ChannelService::setPrefs(SessionId id, Session& s, const ClientEnvelope& e,
                              const SetPrefCommand& c) {
  std::vector<PrefWrite> writes;
  PrefReply reply;
  for (const PrefItem& p : c.prefs) {
    writes.push_back({p.label, p.seqid, p.content.value_or("")});
    reply.prefs.push_back({p.label, p.seqid + 1, false, std::nullopt});
  }
  std::weak_ptr<ChannelService*> weak = self_;
  const CommandRef ref{e.envid, e.seqid};
  const std::string name = e.name;
  store_->writePrefs(s.user, std::move(writes), poster_,
                     [weak, id, ref, name, reply](PrefWriteOutcome outcome) {
                       auto self = weak.lock();
                       if (!self || *self == nullptr) {
                         return;
                       }
                       ChannelService& service = **self;
                       auto it = service.sessions_.find(id);
                       if (it == service.sessions_.end()) {
                         return;
                       }
                       Session& session = it->second;
                       EnvelopeBuilder& b = service.builder(session, id, session.replies);
                       const std::string_view reply_name = replyNameFor(name);
                       switch (outcome) {
                         case PrefWriteOutcome::Written:
                           b.reply(reply_name, ref, xccos::kSuccess, reply);
                           break;
                         case PrefWriteOutcome::Collision:
                           b.reply(reply_name, ref, xccos::kConflict, EmptyReply{});
                           break;
                         case PrefWriteOutcome::Failed:
                           b.reply(reply_name, ref, xccos::kServiceUnavailable, EmptyReply{});
                           break;
                       }
                       service.scheduleFlush(id, session);
                     });
}

void ChannelService::getInvitations(SessionId id, Session& s, const ClientEnvelope& e) {
  auto stored = reader_->invitations(s.user);
  if (!stored) {
    queueReply(s, id, e, xccos::kServiceUnavailable, EmptyReply{});
    return;
  }
  InvitationsReply reply;
  for (const StoredInvitation& inv : *stored) {
    auto room = rooms_.find(inv.room);
    if (room == rooms_.end()) {
      continue;
    }
    reply.invitations.push_back(
        Invitation{.invite_id = static_cast<uint64_t>(inv.id),
                   .domain = options_.domain,
                   .channel = *NodeUri::make(NodeKind::Channel, options_.domain, inv.room),
                   .channel_name = room->second.room.name,
                   .inviter = sipUri(inv.inviter),
                   .time = XccosClock::time_point(std::chrono::milliseconds(inv.time_ms))});
  }
  queueReply(s, id, e, xccos::kSuccess, reply);
}

ChannelService::LiveRoom* ChannelService::visibleRoom(const NodeUri& uri, const std::string& user) {
  if (uri.kind() != NodeKind::Channel || uri.domain() != options_.domain) {
    return nullptr;
  }
  auto it = rooms_.find(uri.uuid());
  if (it == rooms_.end() || !canSee(it->second.room, user)) {
    return nullptr;
  }
  return &it->second;
}

uint32_t ChannelService::UserTable::idOf(const std::string& uri) {
  auto [it, added] = ids.try_emplace(uri, static_cast<uint32_t>(users.size()));
  if (added) {
    users.push_back({it->second, uri});
  }
  return it->second;
}

ChannelInfo ChannelService::describe(const LiveRoom& live, UserTable* users) const {
  const Room& room = live.room;
  ChannelInfo info{
      *NodeUri::make(NodeKind::Channel, options_.domain, room.uuid), room.name, {}, {}, {}, {}, {}};
  if (!room.topic.empty()) {
    info.topic = room.topic;
  }
  if (!room.description.empty()) {
    info.description = room.description;
  }
  if (users != nullptr) {
    RoleMembers members{xccos::kRoleMember, {}};
    RoleMembers operators{xccos::kRoleChannelOperator, {}};
    members.user_ids.reserve(live.present.size());
    for (const auto& [user, sessions] : live.present) {
      const uint32_t uid = users->idOf(sipUri(user));
      (isManager(room, user) ? operators : members).user_ids.push_back(uid);
    }
    info.roles.push_back(std::move(members));
    if (!operators.user_ids.empty()) {
      info.roles.push_back(std::move(operators));
    }
  }
  info.info.push_back(userCountInfo(static_cast<uint32_t>(live.present.size())));
  if (room.kind != RoomKind::Open) {
    info.info.push_back(visibilityInfo(true));
  }
  info.props.push_back(channelProperty(xccos::kPropFilePost, true));
  info.props.push_back(channelProperty(xccos::kPropInvite, room.kind != RoomKind::Open));
  info.props.push_back(channelProperty(xccos::kPropLogged, true));
  return info;
}

ChatMessage ChannelService::toMessage(const StoredPost& post) const {
  return ChatMessage{
      *NodeUri::make(NodeKind::Channel, options_.domain, post.room), sipUri(post.author),
      XccosClock::time_point(std::chrono::milliseconds(post.time_ms)), post.text, post.id};
}

void ChannelService::join(SessionId id, Session& s, const ClientEnvelope& e,
                          const std::vector<ChanId>& ids, bool batch) {
  JoinReply reply;
  UserTable users{reply.users, {}};
  std::vector<LiveRoom*> joined;
  ResultCode code = xccos::kSuccess;
  for (const ChanId& chan : ids) {
    auto uri = NodeUri::fromChanId(chan);
    LiveRoom* live = uri ? visibleRoom(*uri, s.user) : nullptr;
    ResultCode failure = xccos::kNotFound;
    if (live != nullptr && !canJoin(live->room, s.user) && !acceptInvitation(*live, s.user)) {
      failure = xccos::kAccessDenied;
      live = nullptr;
    } else if (live != nullptr && !s.rooms.contains(live->room.uuid) &&
               s.rooms.size() >= options_.max_rooms_per_session) {
      failure = xccos::kLimitExceeded;
      live = nullptr;
    }
    if (live == nullptr) {
      if (batch) {
        FailedItem failed;
        failed.value = chan.value;
        failed.domain = chan.domain;
        reply.failed.push_back(std::move(failed));
      } else {
        code = failure;
      }
      continue;
    }
    if (!s.rooms.contains(live->room.uuid) && enter(id, s.user, *live)) {
      joined.push_back(live);
    }
    s.rooms.insert(live->room.uuid);
    reply.channels.push_back(describe(*live, &users));
  }
  if (code != xccos::kSuccess) {
    queueReply(s, id, e, code, EmptyReply{});
    return;
  }
  queueReply(s, id, e, xccos::kSuccess, reply);
  // Tell the others in each room; the joiner learns the roster from the reply.
  for (LiveRoom* live : joined) {
    const uint32_t key =
        isManager(live->room, s.user) ? xccos::kRoleChannelOperator : xccos::kRoleMember;
    auto notice = std::make_shared<const Notice>(JoinNotice{
        batch,
        {{sipUri(s.user),
          {{key, *NodeUri::make(NodeKind::Channel, options_.domain, live->room.uuid)}}}}});
    for (const auto& [session, user] : live->participants) {
      if (session != id && user != s.user) {
        queueNotice(session, notice);
      }
    }
    relay([room = live->room.uuid, notice](ChannelService& peer) {
      peer.deliverNotice(room, notice);
    });
  }
  if (batch && options_.bjoin_history > 0) {
    // Contextual history, as the call flow's bjoin describes, after the reply.
    for (const ChannelInfo& channel : reply.channels) {
      auto posts = reader_->history(channel.uri.uuid(), options_.bjoin_history);
      if (!posts) {
        continue;
      }
      for (const StoredPost& post : *posts) {
        queueChat(id, toMessage(post));
      }
    }
  }
}

bool ChannelService::acceptInvitation(LiveRoom& live, const std::string& user) {
  auto invitations = reader_->invitations(user);
  if (!invitations) {
    return false;
  }
  for (const StoredInvitation& inv : *invitations) {
    if (inv.room == live.room.uuid) {
      // Joining on an invitation makes the user a member, here at once and in the store.
      live.room.members.insert(user);
      store_->addMember(live.room.uuid, user, inv.id);
      return true;
    }
  }
  return false;
}

bool ChannelService::enter(SessionId id, const std::string& user, LiveRoom& live) {
  live.participants[id] = user;
  return ++live.present[user] == 1;
}

void ChannelService::leaveRoom(SessionId id, const std::string& user, LiveRoom& live) {
  if (live.participants.erase(id) == 0) {
    return;
  }
  auto present = live.present.find(user);
  if (present != live.present.end() && --present->second > 0) {
    return;  // another session of the same user is still there
  }
  if (present != live.present.end()) {
    live.present.erase(present);
  }
  auto notice = std::make_shared<const Notice>(PartNotice{
      *NodeUri::make(NodeKind::Channel, options_.domain, live.room.uuid), {sipUri(user)}});
  for (const auto& [session, other] : live.participants) {
    queueNotice(session, notice);
  }
  relay(
      [room = live.room.uuid, notice](ChannelService& peer) { peer.deliverNotice(room, notice); });
}

void ChannelService::part(SessionId id, Session& s, const ClientEnvelope& e,
                          const NodeUri& channel) {
  LiveRoom* live = visibleRoom(channel, s.user);
  if (live == nullptr || !s.rooms.contains(live->room.uuid)) {
    queueReply(s, id, e, xccos::kNotFound, EmptyReply{});
    return;
  }
  s.rooms.erase(live->room.uuid);
  leaveRoom(id, s.user, *live);
  queueReply(s, id, e, xccos::kSuccess, PartReply{channel});
}

void ChannelService::search(SessionId id, Session& s, const ClientEnvelope& e,
                            const ChannelSearchCommand& c) {
  const uint32_t page =
      std::clamp<uint32_t>(c.count.value_or(options_.search_limit), 1, options_.search_limit);
  std::string after_name, after_uuid;
  if (c.after) {
    // The continuation names the previous page's last room; it must be one this user sees.
    LiveRoom* last = visibleRoom(*c.after, s.user);
    if (last == nullptr) {
      queueReply(s, id, e, xccos::kNotFound, EmptyReply{});
      return;
    }
    after_name = last->room.name;
    after_uuid = last->room.uuid;
  }
  SearchReply reply;
  bool more = false;
  // Invisible (secret) rooms are skipped, so a page may take several store reads.
  while (!more) {
    auto found = reader_->searchPage(c.criteria, page + 1, after_name, after_uuid);
    if (!found) {
      queueReply(s, id, e, xccos::kServiceUnavailable, EmptyReply{});
      return;
    }
    for (const GroupChatStore::Reader::Hit& hit : *found) {
      auto it = rooms_.find(hit.uuid);
      if (it == rooms_.end() || !canSee(it->second.room, s.user)) {
        continue;
      }
      if (reply.channels.size() == page) {
        more = true;
        break;
      }
      reply.channels.push_back(describe(it->second, nullptr));
    }
    if (found->size() < page + 1) {
      break;
    }
    after_name = found->back().name;
    after_uuid = found->back().uuid;
  }
  if (more) {
    reply.next =
        SearchContinuation{c.qtype, c.criteria, c.extended, page, reply.channels.back().uri};
  }
  queueReply(s, id, e, xccos::kSuccess, reply);
}

void ChannelService::backchat(SessionId id, Session& s, const ClientEnvelope& e,
                              const BackchatCommand& c) {
  LiveRoom* live = visibleRoom(c.channel, s.user);
  if (live == nullptr) {
    queueReply(s, id, e, xccos::kNotFound, EmptyReply{});
    return;
  }
  if (!canJoin(live->room, s.user)) {
    queueReply(s, id, e, xccos::kAccessDenied, EmptyReply{});
    return;
  }
  // One more than the page, to tell the client whether an older page exists.
  const uint32_t count = std::min(c.count, options_.max_history);
  auto posts = c.before ? reader_->historyBefore(live->room.uuid, count + 1, *c.before)
                        : reader_->history(live->room.uuid, count + 1);
  if (!posts) {
    queueReply(s, id, e, xccos::kServiceUnavailable, EmptyReply{});
    return;
  }
  BackchatReply reply{c.channel, {}, posts->size() > count};
  const size_t skip = reply.more ? posts->size() - count : 0;
  for (size_t i = skip; i < posts->size(); ++i) {
    reply.messages.push_back(toMessage((*posts)[i]));
  }
  queueReply(s, id, e, xccos::kSuccess, reply);
}

void ChannelService::fileToken(SessionId id, Session& s, const ClientEnvelope& e,
                               const FileTokenCommand& c) {
  LiveRoom* live = visibleRoom(c.channel, s.user);
  if (live == nullptr) {
    queueReply(s, id, e, xccos::kNotFound, EmptyReply{});
    return;
  }
  const bool allowed = c.direction == FileTokenCommand::Direction::Upload
                           ? canPost(live->room, s.user)
                           : canJoin(live->room, s.user);
  if (!allowed) {
    queueReply(s, id, e, xccos::kAccessDenied, EmptyReply{});
    return;
  }
  if (options_.file_service_uri.empty()) {
    queueReply(s, id, e, xccos::kServiceUnavailable, EmptyReply{});  // no file store configured
    return;
  }
  // Stored before it is handed out, so the file endpoint can check it (single use).
  const int64_t now = nowMs();
  FileToken token{newUuid(),
                  s.user,
                  live->room.uuid,
                  c.direction == FileTokenCommand::Direction::Upload,
                  c.file_url,
                  now,
                  now + int64_t{options_.file_token_lifetime_s} * 1000};
  FileTokenReply reply{token.token, options_.file_service_uri};
  std::weak_ptr<ChannelService*> weak = self_;
  const CommandRef ref{e.envid, e.seqid};
  store_->issueFileToken(std::move(token), poster_, [weak, id, ref, reply](bool ok) {
    auto self = weak.lock();
    if (!self || *self == nullptr) {
      return;
    }
    ChannelService& service = **self;
    auto it = service.sessions_.find(id);
    if (it == service.sessions_.end()) {
      return;
    }
    EnvelopeBuilder& b = service.builder(it->second, id, it->second.replies);
    if (ok) {
      b.reply(replyNameFor("getfutok"), ref, xccos::kSuccess, reply);
    } else {
      b.reply(replyNameFor("getfutok"), ref, xccos::kServiceUnavailable, EmptyReply{});
    }
    service.scheduleFlush(id, it->second);
  });
}

void ChannelService::post(SessionId id, Session& s, const ChatPost& p, AnswerFn answer) {
  static auto refused = proxy::counters::get("groupchat.post.refused");
  LiveRoom* live = visibleRoom(p.channel, s.user);
  if (live == nullptr) {
    refused.add();
    answer({404, 0});
    return;
  }
  if (!canPost(live->room, s.user)) {
    refused.add();
    answer({403, 0});
    return;
  }
  if (!checkPostSize(p.text, PostKind::Message, options_.post_limits)) {
    refused.add();
    answer({413, 0});
    return;
  }
  ++s.posts_in_flight;
  StoredPost row{0, live->room.uuid, s.user, nowMs(), p.text};
  std::weak_ptr<ChannelService*> weak = self_;
  auto committed = std::make_shared<StoredPost>(row);
  store_->appendPost(std::move(row), poster_,
                     [weak, id, committed, answer = std::move(answer)](bool ok, int64_t post_id) {
                       auto self = weak.lock();
                       if (!self || *self == nullptr) {
                         answer({ok ? 200 : 503, ok ? 0u : 1u});
                         return;
                       }
                       committed->id = post_id;
                       (*self)->postCommitted(id, *committed, ok, answer);
                     });
}

void ChannelService::postCommitted(SessionId from, const StoredPost& post, bool ok,
                                   AnswerFn answer) {
  static auto posts = proxy::counters::get("groupchat.posts");
  static auto failed = proxy::counters::get("groupchat.post.store_failed");
  if (auto it = sessions_.find(from); it != sessions_.end() && it->second.posts_in_flight > 0) {
    --it->second.posts_in_flight;
  }
  if (!ok) {
    failed.add();
    answer({503, 1});
    return;
  }
  posts.add();
  answer({200, 0});  // the acknowledgement: only now is the post durable
  auto room = rooms_.find(post.room);
  if (room == rooms_.end()) {
    return;
  }
  const ChatMessage message = toMessage(post);
  for (const auto& [session, user] : room->second.participants) {
    if (session != from) {
      queueChat(session, message);
    }
  }
  relay([post](ChannelService& peer) { peer.deliverChat(post); });
}

void ChannelService::housekeeping(int64_t now_ms) {
  if (hub_) {
    peers_ = hub_->othersThan(shard_);  // once a second: the message path takes no lock
  }
  if (reader_->catalogueVersion() != catalogue_version_) {
    if (auto reloaded = reload(); !reloaded) {
      LOG_WARN("groupchat: catalogue reload failed: %s", reloaded.error().detail.c_str());
    }
  }
  if (now_ms - last_retention_ms_ >= 60'000) {
    last_retention_ms_ = now_ms;
    std::vector<std::pair<std::string, int64_t>> cutoffs;
    for (const auto& [uuid, live] : rooms_) {
      if (live.room.retention_days > 0) {
        cutoffs.emplace_back(uuid, now_ms - int64_t{live.room.retention_days} * 86'400'000);
      }
    }
    store_->expirePosts(cutoffs);
  }
}

}  // namespace core::groupchat
