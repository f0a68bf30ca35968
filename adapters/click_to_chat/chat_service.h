// SPDX-License-Identifier: Apache-2.0
// The click-to-chat queue: anonymous visitors (WebSocket connections, by handle) talk to SIP
// agents through one plugin identity. It owns the routing state and knows neither libwebsockets
// nor the host ABI: it is driven by calls (visitor frames, agent IMs, send results, presence,
// a clock tick) and acts through a ChatPort, so the whole policy is unit-testable.
//
// Agents see each visitor's text as "[visitor 7f3a] text" from the plugin identity and simply
// reply to it. With several chats at once an agent starts the reply with "#7f3a "; "/end" (or
// "#7f3a /end") closes a chat. A visitor can address nothing: every frame goes to their chat.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "adapters/click_to_chat/agent_router.h"
#include "adapters/click_to_chat/chat_config.h"
#include "adapters/click_to_chat/rate_limiter.h"

namespace adapters::click_to_chat {

// What the service acts through (the plugin glue implements it over the host and the sockets).
class ChatPort {
 public:
  virtual ~ChatPort() = default;
  // A page-mode IM from the plugin identity; false when refused at once (the service then
  // treats the request as failed with 503). The outcome comes back through sendResult().
  virtual bool sendMessage(uint64_t request_id, const std::string& to_aor, const std::string& text,
                           bool store_if_offline) = 0;
  virtual void sendToVisitor(uint64_t visitor, const std::string& frame) = 0;
  virtual void closeVisitor(uint64_t visitor) = 0;
  // The plugin identity's presence: online while some agent can take a chat, else away.
  virtual void publishAvailable(bool available) = 0;
  virtual void count(const char* name, uint64_t delta) = 0;
};

class ChatService {
 public:
  ChatService(ChatConfig config, ChatPort& port);

  // False when max_visitors are connected already (the caller closes the connection).
  bool visitorConnected(uint64_t visitor, int64_t now_ms);
  // One text frame; an empty one stands for a message that was too large to take.
  void visitorFrame(uint64_t visitor, std::string_view json, int64_t now_ms);
  void visitorGone(uint64_t visitor, int64_t now_ms);

  void presence(const std::string& aor, uint32_t availability, bool im_capable, int64_t now_ms);
  // An IM to the plugin identity; returns the SIP status to answer it with.
  int agentMessage(const std::string& from, std::string_view content_type, std::string_view body,
                   int64_t now_ms);
  void sendResult(uint64_t request_id, int status, int64_t now_ms);
  // Agent answer and queue timeouts; call about once a second.
  void tick(int64_t now_ms);

  size_t visitorCount() const { return visitors_.size(); }
  std::string visitorTag(uint64_t visitor) const;
  const AgentRouter& router() const { return router_; }
  const ChatConfig& config() const { return config_; }

 private:
  enum class State { kIdle, kRouting, kQueued, kChatting };
  struct Visitor {
    uint64_t handle = 0;
    std::string tag;  // "7f3a": what agents see; unique among connected visitors
    RateLimiter limiter;
    bool greeted = false;
    bool offline_notified = false;
    State state = State::kIdle;
    std::string agent;                    // kRouting: the candidate; kChatting: the agent
    std::vector<std::string> backlog;     // texts no agent has taken yet
    std::vector<std::string> unanswered;  // sent to the agent, who has not replied yet
    std::set<std::string> tried;          // agents that failed this visitor
    int64_t since_ms = 0;                 // kQueued / kChatting: when it began
    bool agent_replied = false;
  };
  enum class Kind { kRoute, kChat, kOffline, kNotice };
  struct Pending {
    Kind kind;
    uint64_t visitor;
    std::string tag;
    std::string agent;
    std::vector<std::string> texts;
  };

  Visitor* find(uint64_t visitor);
  std::string newTag();
  void greet(Visitor& v);
  void visitorText(Visitor& v, std::string text, int64_t now_ms);
  void route(Visitor& v, int64_t now_ms);
  void leaveOffline(Visitor& v, int64_t now_ms);
  void sendChat(Visitor& v, const std::string& text, int64_t now_ms);
  void endChat(Visitor& v, int64_t now_ms);
  void notice(const std::string& agent, const std::string& text, int64_t now_ms);
  void send(Kind kind, const Visitor* v, const std::string& agent, std::vector<std::string> texts,
            const std::string& body, bool store_if_offline, int64_t now_ms);
  void dispatchQueue(int64_t now_ms);
  void publishIfChanged();
  void toVisitor(const Visitor& v, std::string_view type, std::string_view text);
  bool anyAgentOnline(const std::set<std::string>& exclude) const;

  ChatConfig config_;
  ChatPort& port_;
  AgentRouter router_;
  std::unordered_map<uint64_t, Visitor> visitors_;
  std::set<std::string> tags_;
  std::deque<uint64_t> waiting_;  // kQueued visitors, first come first served
  std::map<uint64_t, Pending> pending_;
  uint64_t next_request_ = 0;
  int published_ = -1;  // -1 = never published, else the last availability sent
  std::mt19937 random_;
};

}  // namespace adapters::click_to_chat
