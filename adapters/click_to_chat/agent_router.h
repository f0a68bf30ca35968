// SPDX-License-Identifier: Apache-2.0
// The agent queue's routing policy: which agent takes the next visitor. An agent is available
// when their presence is online (availability 3500..4999) and they can take an IM; among the
// available agents under the cap of concurrent chats, the one with the fewest chats wins, then
// the one idle longest (the oldest end of a last chat; never = longest), then config order.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace adapters::click_to_chat {

class AgentRouter {
 public:
  AgentRouter(std::vector<std::string> agents, uint32_t max_chats_per_agent);

  bool isAgent(const std::string& aor) const { return find(aor) != nullptr; }
  // Returns false for someone who is not an agent.
  bool updatePresence(const std::string& aor, uint32_t availability, bool im_capable);
  bool isOnline(const std::string& aor) const;

  // The best agent not in `exclude`, or nothing when nobody can take a chat.
  std::optional<std::string> pick(const std::set<std::string>& exclude = {}) const;
  // Some agent is online with room for one more chat.
  bool anyAvailable() const { return pick().has_value(); }

  // A chat (or a routing attempt, which holds a seat until it resolves) begins or ends.
  void chatStarted(const std::string& aor);
  void chatEnded(const std::string& aor, int64_t now_ms);
  // A routing attempt that failed gives its seat back without counting as a finished chat.
  void releaseSeat(const std::string& aor);
  uint32_t chats(const std::string& aor) const;

  const std::vector<std::string>& agents() const { return order_; }

 private:
  struct Agent {
    std::string aor;
    uint32_t availability = 18500;
    bool im_capable = false;
    uint32_t chats = 0;
    int64_t last_chat_ended_ms = 0;  // 0 = never had one
  };
  Agent* find(const std::string& aor);
  const Agent* find(const std::string& aor) const;

  std::vector<Agent> agents_;  // config order
  std::vector<std::string> order_;
  uint32_t max_chats_;
};

}  // namespace adapters::click_to_chat
