// SPDX-License-Identifier: Apache-2.0
#include "adapters/click_to_chat/agent_router.h"

namespace adapters::click_to_chat {
namespace {

bool online(uint32_t availability) { return availability >= 3500 && availability < 5000; }

}  // namespace

AgentRouter::AgentRouter(std::vector<std::string> agents, uint32_t max_chats_per_agent)
    : order_(std::move(agents)), max_chats_(max_chats_per_agent) {
  for (const std::string& aor : order_) {
    agents_.push_back(Agent{aor});
  }
}

AgentRouter::Agent* AgentRouter::find(const std::string& aor) {
  for (Agent& a : agents_) {
    if (a.aor == aor) {
      return &a;
    }
  }
  return nullptr;
}

const AgentRouter::Agent* AgentRouter::find(const std::string& aor) const {
  return const_cast<AgentRouter*>(this)->find(aor);
}

bool AgentRouter::updatePresence(const std::string& aor, uint32_t availability, bool im_capable) {
  Agent* a = find(aor);
  if (a == nullptr) {
    return false;
  }
  a->availability = availability;
  a->im_capable = im_capable;
  return true;
}

bool AgentRouter::isOnline(const std::string& aor) const {
  const Agent* a = find(aor);
  return a != nullptr && online(a->availability) && a->im_capable;
}

std::optional<std::string> AgentRouter::pick(const std::set<std::string>& exclude) const {
  const Agent* best = nullptr;
  for (const Agent& a : agents_) {
    if (!online(a.availability) || !a.im_capable || a.chats >= max_chats_ ||
        exclude.count(a.aor) != 0) {
      continue;
    }
    if (best == nullptr || a.chats < best->chats ||
        (a.chats == best->chats && a.last_chat_ended_ms < best->last_chat_ended_ms)) {
      best = &a;
    }
  }
  if (best == nullptr) {
    return std::nullopt;
  }
  return best->aor;
}

void AgentRouter::chatStarted(const std::string& aor) {
  if (Agent* a = find(aor)) {
    ++a->chats;
  }
}

void AgentRouter::chatEnded(const std::string& aor, int64_t now_ms) {
  Agent* a = find(aor);
  if (a != nullptr && a->chats > 0) {
    --a->chats;
    a->last_chat_ended_ms = now_ms;
  }
}

void AgentRouter::releaseSeat(const std::string& aor) {
  Agent* a = find(aor);
  if (a != nullptr && a->chats > 0) {
    --a->chats;
  }
}

uint32_t AgentRouter::chats(const std::string& aor) const {
  const Agent* a = find(aor);
  return a != nullptr ? a->chats : 0;
}

}  // namespace adapters::click_to_chat
