// SPDX-License-Identifier: Apache-2.0
// ChannelService, the delivery half: batching of replies, notices and chat per
// session and per kind (one flush per event-loop turn), and the relay of posts
// and notices to the other channel services of the process.
#include "core-server/groupchat/service/channel_service.h"

namespace core::groupchat {

void ChannelService::joinHub(std::shared_ptr<ChannelHub> hub, unsigned shard) {
  hub_ = std::move(hub);
  shard_ = shard;
  hub_->join({shard, poster_, self_});
}

void ChannelService::relay(std::function<void(ChannelService&)> deliver) {
  if (hub_ && !peers_known_) {
    // Every shard registered before traffic started; later changes come with housekeeping.
    peers_ = hub_->othersThan(shard_);
    peers_known_ = true;
  }
  for (const ChannelHub::Member& peer : peers_) {
    peer.post([service = peer.service, deliver] {
      if (auto self = service.lock(); self && *self != nullptr) {
        deliver(**self);
      }
    });
  }
}

void ChannelService::deliverChat(const StoredPost& post) {
  auto room = rooms_.find(post.room);
  if (room == rooms_.end()) {
    return;
  }
  const ChatMessage message = toMessage(post);
  for (const auto& [session, user] : room->second.participants) {
    queueChat(session, message);
  }
}

void ChannelService::deliverNotice(const std::string& room,
                                   const std::shared_ptr<const Notice>& notice) {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) {
    return;
  }
  for (const auto& [session, user] : it->second.participants) {
    queueNotice(session, notice);
  }
}

EnvelopeBuilder& ChannelService::builder(Session& s, SessionId id,
                                         std::optional<EnvelopeBuilder>& slot) {
  if (slot && slot->bytes() >= options_.max_envelope_bytes) {
    sink_.sendEnvelope(id, slot->finish());  // full: send it now, keep batching in a new one
    slot.reset();
  }
  if (!slot) {
    slot.emplace(s.next_envid++);
  }
  return *slot;
}

void ChannelService::queueReply(Session& s, SessionId id, const ClientEnvelope& e,
                                const ResultCode& code, const ReplyData& data) {
  builder(s, id, s.replies).replyTo(e, code, data);
  scheduleFlush(id, s);
}

void ChannelService::queueNotice(SessionId id, const std::shared_ptr<const Notice>& notice) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    return;
  }
  Session& s = it->second;
  const bool first = s.pending_notices.empty();
  s.pending_notices.push_back(notice);
  if (options_.notice_delay_ms == 0 || !delayer_) {
    scheduleFlush(id, s);
    return;
  }
  if (first) {
    notice_sessions_.push_back(id);
  }
  if (!notice_flush_armed_) {
    notice_flush_armed_ = true;
    std::weak_ptr<ChannelService*> weak = self_;
    delayer_(options_.notice_delay_ms, [weak] {
      if (auto self = weak.lock(); self && *self != nullptr) {
        (*self)->flushNotices();
      }
    });
  }
}

void ChannelService::flushNotices() {
  notice_flush_armed_ = false;
  std::vector<SessionId> due;
  due.swap(notice_sessions_);
  for (SessionId id : due) {
    auto it = sessions_.find(id);
    if (it != sessions_.end() && !it->second.pending_notices.empty()) {
      flush(id);
    }
  }
}

namespace {

// Appends `next` to `into` when both are the same kind of notice about the same
// thing (joins of one flavour, parts of one room) and `into` has room left.
bool merge(Notice& into, const Notice& next, size_t max_users) {
  if (auto* a = std::get_if<JoinNotice>(&into)) {
    const auto* b = std::get_if<JoinNotice>(&next);
    if (b == nullptr || a->batch != b->batch || a->users.size() + b->users.size() > max_users) {
      return false;
    }
    a->users.insert(a->users.end(), b->users.begin(), b->users.end());
    return true;
  }
  auto& a = std::get<PartNotice>(into);
  const auto* b = std::get_if<PartNotice>(&next);
  if (b == nullptr || !(a.channel == b->channel) ||
      a.user_uris.size() + b->user_uris.size() > max_users) {
    return false;
  }
  a.user_uris.insert(a.user_uris.end(), b->user_uris.begin(), b->user_uris.end());
  return true;
}

}  // namespace

void ChannelService::encodeNotices(SessionId id, Session& s) {
  if (s.pending_notices.empty()) {
    return;
  }
  // A burst of joins becomes one <ntc> listing many users, not one element per joiner.
  std::optional<Notice> current;
  for (const auto& next : s.pending_notices) {
    if (current && merge(*current, *next, options_.max_users_per_notice)) {
      continue;
    }
    if (current) {
      builder(s, id, s.notices).notice(*current);
    }
    current = *next;
  }
  builder(s, id, s.notices).notice(*current);
  s.pending_notices.clear();
}

void ChannelService::queueChat(SessionId id, const ChatMessage& message) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    return;
  }
  builder(it->second, id, it->second.chats).chat(message);
  scheduleFlush(id, it->second);
}

void ChannelService::scheduleFlush(SessionId id, Session& s) {
  if (s.flush_queued) {
    return;
  }
  s.flush_queued = true;
  std::weak_ptr<ChannelService*> weak = self_;
  // After the current turn, so everything due now leaves in as few INFOs as possible.
  poster_([weak, id] {
    if (auto self = weak.lock(); self && *self != nullptr) {
      (*self)->flush(id);
    }
  });
}

void ChannelService::flush(SessionId id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    return;
  }
  Session& s = it->second;
  s.flush_queued = false;
  encodeNotices(id, s);
  // Replies first (they answer commands), then notices, then chat.
  for (std::optional<EnvelopeBuilder>* slot : {&s.replies, &s.notices, &s.chats}) {
    if (*slot) {
      std::string xml = (*slot)->finish();
      slot->reset();
      sink_.sendEnvelope(id, std::move(xml));
    }
  }
}

}  // namespace core::groupchat
