// SPDX-License-Identifier: Apache-2.0
// The multiparty "mesh" view of a conversation for OCS-dialect (session-mode)
// participants (MULTIPARTY.md §3): pidgin-sipe and OCS 2007 R1 clients show a
// chat only when each member talks to them in a dialog of its own. For each
// such participant P and conversation (a "leg", one Call-ID), the focus acts as
// every other member Q in one dialog towards P: INVITE From Q with
// `TriggeredInvite: TRUE` and `Require: com.microsoft.rtc-multiparty` (sipe adds
// Q to the chat), Q's messages and typing on Q's dialog, BYE on it when Q leaves.
// What P sends on Q's dialog is one of P's per-member copies of one send: the
// first copy goes to the focus (which fans it out to everyone once), the other
// copies of the same send are dropped as duplicates (see isDuplicate()).
// Legs live on P's shard (our Contact carries its `sh=`). The SIP side is
// injected (Send, Answer), so this is testable without a network.
// One instance per shard, used only on its thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core-server/im/stages/page_message.h"
#include "core-server/im/stages/session_requests.h"
#include "proxy/sip/sip_message.h"
#include "proxy/transport/transport.h"

namespace core::im {

// The user part of our Contact in mesh dialogs: in-dialog requests to it are ours.
inline constexpr std::string_view kMeshUser = "im-mesh";
// Our Call-IDs end "-sh<shard>@confab-mesh": a triggered INVITE carrying one is ours.
inline constexpr std::string_view kMeshCallIdSuffix = "@confab-mesh";
// The shard a mesh Call-ID belongs to (nullopt: not one of ours).
std::optional<unsigned> meshShardOf(std::string_view call_id);

class Mesh {
 public:
  struct Response {
    int status = 0;
    std::string to_tag;   // of a 2xx to an INVITE
    std::string contact;  // its Contact URI
  };
  // Sends a request text (no Via) over `flow` (nullopt: by its Request-URI).
  // `done` gets the final response; empty for ACK.
  using Send = std::function<void(std::string request, std::optional<proxy::transport::Flow> flow,
                                  std::function<void(Response)> done)>;
  // One send of P to the conversation (m.to_aor = the focus); `done` gets its status.
  using ToFocus = std::function<void(PageMessage m, StatusCallback done)>;
  // P left `conversation` (its client closed every dialog, or is gone).
  using Leave = std::function<void(const std::string& conversation, const std::string& aor)>;
  // Our Contact for a leg reached over `flow` ("<sip:im-mesh@host:port;transport=t;sh=N>").
  using ContactFor = std::function<std::string(const std::optional<proxy::transport::Flow>& flow)>;

  struct Endpoint {
    std::string uri;  // P's registered Contact URI
    std::optional<proxy::transport::Flow> flow;
  };
  struct Options {
    unsigned shard = 0;
    std::string user_agent = "confab";
    int64_t duplicate_window_ms = 10000;  // per-member copies of one send arrive within it
  };

  Mesh(Send send, ToFocus to_focus, Leave leave, ContactFor contact_for, Options options);
  ~Mesh();
  Mesh(const Mesh&) = delete;
  Mesh& operator=(const Mesh&) = delete;

  // A copy from the focus for P = m.to_aor (m.mesh says what it is), P's
  // session-mode endpoint being `endpoint`. `done` gets a status.
  void deliver(const PageMessage& m, const Endpoint& endpoint, StatusCallback done);

  struct Answer {
    int status = 0;  // 0: no answer (ACK)
    std::string reason;
    bool with_sdp = false;  // a 2xx to INVITE/UPDATE carries our SDP and Contact
    std::string contact;
    std::string sdp;
    std::string to_tag;  // for a triggered INVITE we answer
  };
  // A request from P inside one of our dialogs; `answer` may run later.
  void onInDialog(const proxy::sip::SipMessage& request, std::function<void(Answer)> answer);
  // sipe's own triggered INVITE (a Call-ID of ours, no To tag) towards member
  // `member_aor`: answered here, never relayed to that member.
  Answer onTriggeredInvite(const proxy::sip::SipMessage& request, const std::string& member_aor);

  // P has no session-mode endpoint any more: P leaves every conversation.
  void userGone(const std::string& aor);

  size_t legs() const { return legs_.size(); }
  size_t dialogs() const;
  // For tests: the Call-ID of P's leg in `conversation` ("" if none), and the
  // members P has a dialog with (established or being invited).
  std::string callIdOf(const std::string& aor, const std::string& conversation) const;
  std::vector<std::string> membersOf(const std::string& aor, const std::string& conversation) const;

 private:
  struct Pending {
    std::string method;  // MESSAGE or INFO
    std::string content_type;
    std::string body;
    StatusCallback done;
  };
  struct Dialog {  // the focus, acting as one member, towards P
    std::string member;
    std::string local_tag;
    std::string remote_tag;
    std::string remote_target;
    uint32_t cseq = 1;
    bool up = false;
    bool reopened = false;  // re-INVITEd once after a 481
    std::deque<Pending> pending;
  };
  struct Sent {  // one send of P, for telling its per-member copies apart
    std::string key;
    int64_t at_ms = 0;
    std::vector<std::string> members;  // the dialogs a copy came in on
  };
  struct Leg {  // P in one conversation
    uint64_t id = 0;
    std::string conversation;
    std::string user_aor;
    std::string call_id;
    std::string contact;
    Endpoint endpoint;
    std::map<std::string, Dialog> dialogs;  // by member AOR
    std::deque<Sent> recent;
  };

  Leg& legFor(const std::string& aor, const std::string& conversation, const Endpoint& endpoint);
  Leg* findLeg(const std::string& aor, const std::string& conversation);
  Dialog& ensureDialog(Leg& leg, const std::string& member);
  void invite(Leg& leg, Dialog& d);
  // `sent`: the INVITE's dialog (remote target = P's endpoint), kept for a late 2xx.
  void onInviteResponse(uint64_t leg_id, const std::string& member, const SessionDialog& sent,
                        const std::optional<proxy::transport::Flow>& flow, Response r);
  void sendInDialog(Leg& leg, Dialog& d, Pending p);
  void queueOrSend(Leg& leg, const std::string& member, Pending p);
  void bye(Leg& leg, const Dialog& d);
  void dropDialog(Leg& leg, const std::string& member, int status);
  void eraseLeg(uint64_t id);
  // True when `key`, sent on `member`'s dialog, is a further copy of a send
  // already passed on; false marks a new send.
  bool isDuplicate(Leg& leg, const std::string& member, std::string key);
  std::string dialogText(const Leg& leg, const Dialog& d, std::string_view method, uint32_t cseq,
                         std::string_view content_type, std::string_view body) const;
  std::string sdp(const Leg& leg) const;
  static int64_t nowMs();

  Send send_;
  ToFocus to_focus_;
  Leave leave_;
  ContactFor contact_for_;
  Options options_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<Leg>> legs_;
  std::unordered_map<std::string, uint64_t> by_key_;      // aor '\n' conversation
  std::unordered_map<std::string, uint64_t> by_call_id_;  // one Call-ID per leg
  std::shared_ptr<Mesh*> alive_;
};

}  // namespace core::im
