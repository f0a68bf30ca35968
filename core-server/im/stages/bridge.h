// SPDX-License-Identifier: Apache-2.0
// The page-mode <-> session-mode bridge (PROTOCOLS.md §(c)) for the
// session-mode (OCS-dialect) users of one shard. A page-mode MESSAGE from a
// standard client to such a user opens an INVITE IM session towards the user's
// session-mode endpoints (the first message inline in ms-text-format; the first
// endpoint to answer 2xx gets the session, the others are cancelled), or
// reuses the open one: MESSAGE inside the dialog. What the OCS endpoint sends
// in the session (MESSAGE, KeyboardActivity INFO, BYE) comes back to this
// shard (our Contact carries `sh=`) and goes to the standard client as
// page-mode MESSAGE / RFC 3994 isComposing. Idle sessions are closed with BYE.
// One instance per shard, used only on its thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core-server/im/stages/page_message.h"
#include "core-server/im/stages/session_requests.h"
#include "core-server/registrar/binding.h"
#include "proxy/routing/shard_router.h"
#include "proxy/routing/stage.h"

namespace core::im {

// The user part of our Contact in bridged sessions: in-dialog requests to it are ours.
inline constexpr std::string_view kBridgeUser = "im-bridge";

// Our Contact in an IM dialog of ours reached over `flow` (nullptr: TCP, our
// address): "<sip:<user>@host:port;transport=t;sh=<shard>>". `sh=` brings the
// peer's in-dialog requests back to this shard.
std::string imDialogContact(std::string_view user, const proxy::transport::Flow* flow,
                            const proxy::routing::LocalAddresses& us, unsigned shard);

class Bridge {
 public:
  // Delivers a page-mode message to a local user, from any shard (ImService::deliver).
  using Relay = std::function<void(PageMessage message, StatusCallback done)>;

  Bridge(proxy::routing::ShardRouter& router, Relay relay, int64_t idle_timeout_ms);
  ~Bridge();
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;

  // A page-mode message (text or isComposing) to `m.to_aor`, whose session-mode
  // endpoints are `endpoints`. `done` gets the final status.
  void sendPage(PageMessage m, const std::vector<const registrar::Binding*>& endpoints,
                StatusCallback done);

  // A session an OCS endpoint opened towards a page-mode user (we answer its
  // INVITE): `target` is the endpoint's side, `peer` the page-mode user.
  struct Incoming {
    std::string call_id;
    std::string remote_tag;     // the INVITE's From tag
    std::string remote_target;  // the INVITE's Contact URI
    std::string peer;           // the INVITE's To, no tag
    std::string peer_aor;
    std::string target;  // the INVITE's From, no tag
    std::string target_aor;
    std::optional<proxy::transport::Flow> flow;  // the INVITE came in on it
  };
  struct Adopted {
    std::string contact;  // our Contact (with sh= of this shard)
    std::string tag;      // our To tag
    std::string sdp;      // our SDP answer
  };
  Adopted adopt(Incoming in);

  // A request inside one of our sessions (Request-URI user kBridgeUser).
  proxy::routing::Verdict onInDialog(proxy::routing::ContextPtr& ctx);

  // Closes (BYE) the sessions idle since before now - idle timeout.
  void closeIdle(int64_t now_ms);

  size_t sessions() const { return sessions_.size(); }

  // Called when the endpoint ends a session (BYE): (page-mode side, session-mode side).
  std::function<void(const std::string& peer_aor, const std::string& target_aor)> on_end;

 private:
  struct Waiting {
    std::string content_type;
    std::string body;
    StatusCallback done;
  };
  struct Endpoint {
    std::string uri;                             // Request-URI of the INVITE
    std::optional<proxy::transport::Flow> flow;  // the binding's flow
    proxy::transaction::ClientTransactionId txn = 0;
    int status = 0;  // final, 0 while pending
  };
  struct Session {
    uint64_t id = 0;
    std::string peer_aor;  // the page-mode side
    std::string peer;      // its name-addr (From of our requests), no tag
    std::string target;    // the session-mode side's name-addr (To), no tag
    std::string target_aor;
    std::string call_id;
    std::string local_tag;
    std::string remote_tag;
    std::string remote_target;  // the endpoint's Contact URI
    std::string local_contact;
    std::string conversation_id;
    std::optional<proxy::transport::Flow> flow;
    uint32_t local_cseq = 1;
    bool established = false;
    bool inline_pending = true;  // the first Waiting went in the INVITE
    std::vector<Endpoint> endpoints;
    std::deque<Waiting> waiting;  // until established
    int64_t last_activity_ms = 0;
  };

  Session* find(const std::string& peer_aor, const std::string& target_aor);
  void open(PageMessage m, const std::vector<const registrar::Binding*>& endpoints,
            StatusCallback done);
  void onInviteResponse(uint64_t id, size_t index, proxy::sip::SipMessage&& response);
  void establish(Session& s, size_t index, const proxy::sip::SipMessage& response);
  void failSession(uint64_t id, int status);
  void sendInDialog(Session& s, std::string_view method, std::string_view content_type,
                    std::string body, StatusCallback done);
  // ACKs a 2xx (and ends that dialog at once with `bye`) over `flow`.
  void sendAckAndMaybeBye(const Session& s, const proxy::sip::SipMessage& response, bool bye,
                          std::optional<proxy::transport::Flow> flow);
  static SessionDialog dialogOf(const Session& s);
  void erase(uint64_t id);
  int64_t nowMs() const;

  proxy::routing::ShardRouter& router_;
  Relay relay_;
  int64_t idle_timeout_ms_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<Session>> sessions_;
  std::unordered_map<std::string, uint64_t> by_pair_;     // peer_aor '\n' target aor
  std::unordered_map<std::string, uint64_t> by_call_id_;  // dialogs
  std::shared_ptr<Bridge*> alive_;
};

}  // namespace core::im
