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

void ChannelService::deliverNotice(const std::string& room, const Notice& notice) {
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

void ChannelService::queueNotice(SessionId id, const Notice& notice) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    return;
  }
  builder(it->second, id, it->second.notices).notice(notice);
  scheduleFlush(id, it->second);
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
