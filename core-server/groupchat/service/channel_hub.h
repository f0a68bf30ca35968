// SPDX-License-Identifier: Apache-2.0
// The channel services of one process, so that a room served by several of them
// (one per shard, when groupchat.channel_uris lists several) still reaches every
// participant: a service relays each committed post and each join/part notice to
// its peers, which deliver it to their own participants of that room. A relay is
// a task posted to the peer's shard; the peer's state is only touched there.
// Registration takes a lock (start-up); services copy the member list once a
// second (housekeeping), so the message path takes no lock.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace core::groupchat {

class ChannelService;

class ChannelHub {
 public:
  struct Member {
    unsigned shard = 0;
    std::function<void(std::function<void()>)> post;  // runs a task on that shard
    std::weak_ptr<ChannelService*> service;           // read only on that shard
  };

  void join(Member member) {
    std::lock_guard lock(mutex_);
    members_.push_back(std::move(member));
  }
  std::vector<Member> othersThan(unsigned shard) const {
    std::lock_guard lock(mutex_);
    std::vector<Member> out;
    for (const Member& m : members_) {
      if (m.shard != shard) {
        out.push_back(m);
      }
    }
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Member> members_;
};

}  // namespace core::groupchat
