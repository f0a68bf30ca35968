// SPDX-License-Identifier: Apache-2.0
#include "adapters/click_to_chat/chat_service.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "adapters/click_to_chat/chat_protocol.h"

namespace adapters::click_to_chat {
namespace {

constexpr size_t kMaxBacklog = 20;        // texts a visitor may queue while waiting for an agent
constexpr uint32_t kOfflineFrom = 18000;  // availability from here on: signed out

std::string joined(const std::vector<std::string>& texts) {
  std::string out;
  for (const std::string& t : texts) {
    if (!out.empty()) {
      out += '\n';
    }
    out += t;
  }
  return out;
}

// text/html from an agent's client: drop the tags, keep the text (the page escapes it anyway).
std::string stripTags(std::string_view html) {
  std::string out;
  bool in_tag = false;
  for (char ch : html) {
    if (ch == '<') {
      in_tag = true;
    } else if (ch == '>') {
      in_tag = false;
    } else if (!in_tag) {
      out.push_back(ch);
    }
  }
  return out;
}

}  // namespace

ChatService::ChatService(ChatConfig config, ChatPort& port)
    : config_(std::move(config)),
      port_(port),
      router_(config_.agents, config_.max_chats_per_agent),
      random_(std::random_device{}()) {}

ChatService::Visitor* ChatService::find(uint64_t visitor) {
  auto it = visitors_.find(visitor);
  return it == visitors_.end() ? nullptr : &it->second;
}

std::string ChatService::visitorTag(uint64_t visitor) const {
  auto it = visitors_.find(visitor);
  return it == visitors_.end() ? std::string() : it->second.tag;
}

std::string ChatService::newTag() {
  // Four hex digits are easy to type in "#7f3a"; max_visitors is far below 65536.
  for (;;) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04x", static_cast<unsigned>(random_() & 0xffff));
    if (tags_.insert(buf).second) {
      return buf;
    }
  }
}

void ChatService::toVisitor(const Visitor& v, std::string_view type, std::string_view text) {
  port_.sendToVisitor(v.handle, serverFrame(type, text));
}

bool ChatService::visitorConnected(uint64_t visitor, int64_t /*now_ms*/) {
  if (visitors_.size() >= config_.max_visitors || visitors_.count(visitor) != 0) {
    port_.count("visitors_refused", 1);
    return false;
  }
  Visitor v{
      .handle = visitor, .tag = newTag(), .limiter = RateLimiter(config_.messages_per_10s, 10000)};
  visitors_.emplace(visitor, std::move(v));
  port_.count("visitors", 1);
  return true;
}

void ChatService::greet(Visitor& v) {
  if (v.greeted) {
    return;
  }
  v.greeted = true;
  port_.sendToVisitor(v.handle, greetingFrame(config_.greeting, v.tag, router_.anyAvailable()));
  if (!anyAgentOnline({})) {
    v.offline_notified = true;
    toVisitor(v, "offline", config_.offline_text);
  }
}

void ChatService::visitorFrame(uint64_t visitor, std::string_view json, int64_t now_ms) {
  Visitor* v = find(visitor);
  if (v == nullptr) {
    return;
  }
  // The web server hands over an oversized message as an empty frame.
  auto frame = json.empty() ? proxy::Result<VisitorFrame>(proxy::makeError(413, "too long"))
                            : parseVisitorFrame(json, config_.max_message_bytes);
  if (!frame) {
    port_.count("bad_frames", 1);
    if (!v->limiter.allow(now_ms)) {
      port_.count("rate_limited", 1);
      return;  // a flood of junk gets no answers either
    }
    toVisitor(*v, "system",
              frame.error().status == 413
                  ? "Your message is too long (at most " +
                        std::to_string(config_.max_message_bytes) + " bytes) and was not sent."
                  : std::string("That could not be read and was not sent."));
    return;
  }
  switch (frame->type) {
    case VisitorFrameType::kHello:
      greet(*v);
      return;
    case VisitorFrameType::kTyping:
      return;  // not forwarded: it would cost the agent a SIP request per keystroke burst
    case VisitorFrameType::kLeave:
      port_.closeVisitor(visitor);
      visitorGone(visitor, now_ms);
      return;
    case VisitorFrameType::kMessage:
      break;
  }
  greet(*v);
  if (!v->limiter.allow(now_ms)) {
    port_.count("rate_limited", 1);
    toVisitor(*v, "system", "You are sending messages too fast; this one was not delivered.");
    return;
  }
  visitorText(*v, std::move(frame->text), now_ms);
}

void ChatService::visitorText(Visitor& v, std::string text, int64_t now_ms) {
  switch (v.state) {
    case State::kChatting:
      sendChat(v, text, now_ms);
      return;
    case State::kRouting:
    case State::kQueued:
      if (v.backlog.size() >= kMaxBacklog) {
        port_.count("rate_limited", 1);
        toVisitor(v, "system", "Please wait for an agent; this message was not delivered.");
        return;
      }
      v.backlog.push_back(std::move(text));
      return;
    case State::kIdle:
      v.backlog.push_back(std::move(text));
      route(v, now_ms);
      return;
  }
}

bool ChatService::anyAgentOnline(const std::set<std::string>& exclude) const {
  for (const std::string& aor : router_.agents()) {
    if (exclude.count(aor) == 0 && router_.isOnline(aor)) {
      return true;
    }
  }
  return false;
}

void ChatService::route(Visitor& v, int64_t now_ms) {
  if (v.backlog.empty()) {
    v.state = State::kIdle;
    return;
  }
  auto agent = router_.pick(v.tried);
  if (!agent) {
    if (anyAgentOnline(v.tried)) {
      // Everyone online is at the cap: wait for a free seat (bounded by the answer timeout).
      if (v.state != State::kQueued) {
        v.state = State::kQueued;
        v.since_ms = now_ms;
        waiting_.push_back(v.handle);
        toVisitor(v, "queued",
                  "All agents are busy; you are number " + std::to_string(waiting_.size()) +
                      " in the queue.");
      }
      return;
    }
    leaveOffline(v, now_ms);
    return;
  }
  v.state = State::kRouting;
  v.agent = *agent;
  router_.chatStarted(*agent);  // holds the seat while the first IM is under way
  std::vector<std::string> texts = std::move(v.backlog);
  v.backlog.clear();
  const std::string body = "[visitor " + v.tag + "] " + joined(texts);
  publishIfChanged();
  send(Kind::kRoute, &v, *agent, std::move(texts), body, false, now_ms);
}

void ChatService::leaveOffline(Visitor& v, int64_t now_ms) {
  const std::string body =
      "[web visitor " + v.tag + ", left while no agent was available] " + joined(v.backlog);
  v.backlog.clear();
  v.state = State::kIdle;
  v.tried.clear();
  port_.count("offline_messages", 1);
  if (!v.offline_notified) {
    v.offline_notified = true;
    toVisitor(v, "offline", config_.offline_text);
  }
  toVisitor(v, "system", "Your message was left for our team.");
  const uint64_t handle = v.handle;
  for (const std::string& agent : router_.agents()) {
    Visitor* still = find(handle);  // a refused send may not touch the visitor, but be safe
    send(Kind::kOffline, still, agent, {}, body, true, now_ms);
  }
}

void ChatService::sendChat(Visitor& v, const std::string& text, int64_t now_ms) {
  if (!v.agent_replied) {
    v.unanswered.push_back(text);
  }
  send(Kind::kChat, &v, v.agent, {text}, "[visitor " + v.tag + "] " + text, false, now_ms);
}

void ChatService::notice(const std::string& agent, const std::string& text, int64_t now_ms) {
  send(Kind::kNotice, nullptr, agent, {}, text, false, now_ms);
}

void ChatService::send(Kind kind, const Visitor* v, const std::string& agent,
                       std::vector<std::string> texts, const std::string& body,
                       bool store_if_offline, int64_t now_ms) {
  const uint64_t id = ++next_request_;
  pending_[id] = Pending{kind, v != nullptr ? v->handle : 0, v != nullptr ? v->tag : "", agent,
                         std::move(texts)};
  if (!port_.sendMessage(id, agent, body, store_if_offline)) {
    sendResult(id, 503, now_ms);
  }
}

void ChatService::sendResult(uint64_t request_id, int status, int64_t now_ms) {
  auto node = pending_.extract(request_id);
  if (node.empty()) {
    return;
  }
  Pending p = std::move(node.mapped());
  const bool ok = status >= 200 && status < 300;
  Visitor* v = p.kind == Kind::kNotice ? nullptr : find(p.visitor);
  switch (p.kind) {
    case Kind::kNotice:
      return;
    case Kind::kOffline:
      if (!ok) {
        port_.count("offline_failed", 1);
      }
      return;
    case Kind::kRoute:
      if (v == nullptr || v->state != State::kRouting || v->agent != p.agent) {
        // The visitor left while the agent was being reached.
        if (ok) {
          router_.chatEnded(p.agent, now_ms);
          notice(p.agent, "[visitor " + p.tag + " left the chat]", now_ms);
        } else {
          router_.releaseSeat(p.agent);
        }
        dispatchQueue(now_ms);
        publishIfChanged();
        return;
      }
      if (!ok) {
        router_.releaseSeat(p.agent);
        v->tried.insert(p.agent);
        v->agent.clear();
        v->state = State::kIdle;
        v->backlog.insert(v->backlog.begin(), p.texts.begin(), p.texts.end());
        route(*v, now_ms);
        publishIfChanged();
        return;
      }
      v->state = State::kChatting;
      v->since_ms = now_ms;
      v->agent_replied = false;
      v->unanswered = std::move(p.texts);
      v->offline_notified = false;
      port_.count("chats_started", 1);
      toVisitor(*v, "system", "An agent has joined the chat.");
      // What the visitor wrote meanwhile; visitorText() copes if a send fails on the way.
      for (std::string& text : std::exchange(v->backlog, {})) {
        visitorText(*v, std::move(text), now_ms);
      }
      return;
    case Kind::kChat:
      if (ok || v == nullptr) {
        return;
      }
      if (v->state == State::kChatting && v->agent == p.agent) {
        // The agent cannot be reached any more (480, 408, ...): hand the chat on.
        v->tried.insert(p.agent);
        endChat(*v, now_ms);
        toVisitor(*v, "system", "The agent is unreachable; connecting you to another agent\u2026");
      }
      v->backlog.insert(v->backlog.end(), p.texts.begin(), p.texts.end());
      if (v->state == State::kIdle) {
        route(*v, now_ms);
      }
      return;
  }
}

void ChatService::endChat(Visitor& v, int64_t now_ms) {
  if (v.state != State::kChatting) {
    return;
  }
  router_.chatEnded(v.agent, now_ms);
  v.state = State::kIdle;
  v.agent.clear();
  v.unanswered.clear();
  dispatchQueue(now_ms);
  publishIfChanged();
}

void ChatService::visitorGone(uint64_t visitor, int64_t now_ms) {
  Visitor* v = find(visitor);
  if (v == nullptr) {
    return;
  }
  if (v->state == State::kChatting) {
    const std::string agent = v->agent;
    const std::string tag = v->tag;
    endChat(*v, now_ms);
    notice(agent, "[visitor " + tag + " left the chat]", now_ms);
  }
  waiting_.erase(std::remove(waiting_.begin(), waiting_.end(), visitor), waiting_.end());
  tags_.erase(v->tag);
  visitors_.erase(visitor);  // a kRouting attempt is settled by its send result
}

void ChatService::dispatchQueue(int64_t now_ms) {
  while (!waiting_.empty()) {
    Visitor* v = find(waiting_.front());
    if (v == nullptr) {
      waiting_.pop_front();
      continue;
    }
    if (!router_.pick(v->tried)) {
      return;
    }
    waiting_.pop_front();
    v->state = State::kIdle;
    route(*v, now_ms);
  }
}

void ChatService::publishIfChanged() {
  const int available = router_.anyAvailable() ? 1 : 0;
  if (available != published_) {
    published_ = available;
    port_.publishAvailable(available == 1);
  }
}

void ChatService::presence(const std::string& aor, uint32_t availability, bool im_capable,
                           int64_t now_ms) {
  if (!router_.updatePresence(aor, availability, im_capable)) {
    return;
  }
  if (availability >= kOfflineFrom || !im_capable) {
    // The agent signed out: their visitors move on now rather than at their next text.
    std::vector<uint64_t> orphans;
    for (auto& [handle, v] : visitors_) {
      if (v.state == State::kChatting && v.agent == aor) {
        orphans.push_back(handle);
      }
    }
    for (uint64_t handle : orphans) {
      Visitor* v = find(handle);
      if (v == nullptr || v->state != State::kChatting) {
        continue;
      }
      std::vector<std::string> said = std::move(v->unanswered);
      v->tried.insert(aor);
      endChat(*v, now_ms);
      toVisitor(*v, "system", "The agent has left the chat.");
      if (!said.empty()) {
        v->backlog.insert(v->backlog.begin(), said.begin(), said.end());
        route(*v, now_ms);
      }
    }
  }
  dispatchQueue(now_ms);
  publishIfChanged();
}

int ChatService::agentMessage(const std::string& from, std::string_view content_type,
                              std::string_view body, int64_t now_ms) {
  const std::string agent = normalizeAor(from);
  if (!router_.isAgent(agent)) {
    port_.count("refused_senders", 1);
    return 403;  // only the queue's agents talk to visitors
  }
  std::vector<Visitor*> chats;
  for (auto& [handle, v] : visitors_) {
    if (v.state == State::kChatting && v.agent == agent) {
      chats.push_back(&v);
    }
  }
  const std::string type(content_type.substr(0, content_type.find(';')));
  if (type == "application/im-iscomposing+xml") {
    if (chats.size() == 1 && body.find(">active<") != std::string_view::npos) {
      toVisitor(*chats.front(), "typing", "");
    }
    return 200;
  }
  std::string text;
  if (type == "text/plain" || type.empty()) {
    text = cleanText(body);
  } else if (type == "text/html") {
    text = cleanText(stripTags(body));
  } else {
    return 415;
  }
  if (text.size() > config_.max_message_bytes) {
    return 413;
  }
  if (text.empty()) {
    return 200;
  }
  Visitor* target = nullptr;
  if (text.front() == '#') {
    const size_t end = text.find_first_of(" \n\t");
    const std::string tag = text.substr(1, end == std::string::npos ? end : end - 1);
    for (Visitor* v : chats) {
      if (v->tag == tag) {
        target = v;
      }
    }
    if (target != nullptr) {
      text = cleanText(end == std::string::npos ? std::string_view()
                                                : std::string_view(text).substr(end));
    } else if (chats.size() == 1) {
      target = chats.front();  // "#1 priority" to the only visitor: just text
    } else {
      notice(agent, "No web chat #" + tag + " is open with you.", now_ms);
      return chats.empty() ? 480 : 404;
    }
  } else if (chats.size() == 1) {
    target = chats.front();
  } else if (chats.empty()) {
    return 480;
  } else {
    std::string tags;
    for (Visitor* v : chats) {
      tags += (tags.empty() ? "#" : ", #") + v->tag;
    }
    notice(agent,
           "You have " + std::to_string(chats.size()) + " web chats (" + tags +
               "): start your reply with #<id> to pick the visitor. It was not delivered.",
           now_ms);
    return 200;
  }
  if (text == "/end") {
    toVisitor(*target, "system", "The agent ended the chat.");
    notice(agent, "[visitor " + target->tag + "] chat ended", now_ms);
    endChat(*target, now_ms);  // may hand the seat to a queued visitor at once
    target->tried.clear();     // a later question may go to this agent again
    return 200;
  }
  if (text.empty()) {
    return 200;
  }
  target->agent_replied = true;
  target->unanswered.clear();
  toVisitor(*target, "agent", text);
  return 200;
}

void ChatService::tick(int64_t now_ms) {
  const int64_t timeout_ms = static_cast<int64_t>(config_.agent_answer_timeout_s) * 1000;
  std::vector<uint64_t> due;
  for (auto& [handle, v] : visitors_) {
    if ((v.state == State::kChatting && !v.agent_replied) || v.state == State::kQueued) {
      if (now_ms - v.since_ms >= timeout_ms) {
        due.push_back(handle);
      }
    }
  }
  for (uint64_t handle : due) {
    Visitor* v = find(handle);
    if (v == nullptr) {
      continue;
    }
    if (v->state == State::kQueued) {
      waiting_.erase(std::remove(waiting_.begin(), waiting_.end(), handle), waiting_.end());
      leaveOffline(*v, now_ms);
      continue;
    }
    // No answer: the chat moves on with what the visitor has said so far.
    const std::string agent = v->agent;
    std::vector<std::string> said = std::move(v->unanswered);
    port_.count("agent_timeouts", 1);
    notice(agent,
           "[visitor " + v->tag + "] moved to another agent: no reply within " +
               std::to_string(config_.agent_answer_timeout_s) + " s",
           now_ms);
    v->tried.insert(agent);
    endChat(*v, now_ms);
    toVisitor(*v, "system", "The agent did not answer; trying another agent\u2026");
    v->backlog.insert(v->backlog.begin(), said.begin(), said.end());
    route(*v, now_ms);
  }
}

}  // namespace adapters::click_to_chat
