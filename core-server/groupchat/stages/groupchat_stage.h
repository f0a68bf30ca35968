// SPDX-License-Identifier: Apache-2.0
// The SIP side of group chat: the lookup service (ocschat@) and the channel
// service dialogs. An INVITE to either URI opens a dialog that this shard keeps
// (our Contact carries sh=<shard>, so in-dialog requests come back here);
// INFO carries XCCOS both ways, UPDATE / re-INVITE refresh the session timer
// (RFC 4028), BYE ends it. Server INFOs go down the flow the INVITE came in on
// (TCP/TLS clients listen on no port); a 481, 487, 408 or 503 answer ends the
// session. Expired sessions are sent a BYE and dropped by housekeeping().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core-server/groupchat/service/channel_service.h"
#include "core-server/groupchat/stages/channel_directory.h"
#include "proxy/routing/shard_router.h"
#include "proxy/routing/stage.h"

namespace core::groupchat {

struct GroupChatStageOptions {
  std::string lookup_aor;               // user@domain of the lookup service
  uint32_t session_expires_s = 600;     // our Session-Expires when the client offers none or more
  uint32_t min_session_expires_s = 90;  // Min-SE (RFC 4028 §4)
  uint32_t max_lookup_dialogs = 10000;
};

class GroupChatStage final : public proxy::routing::Stage, public SessionSink {
 public:
  // `channel` may be null: this shard hosts no channel service (lookup only, or
  // in-dialog requests only). `directory` is shared by every shard.
  GroupChatStage(proxy::routing::ShardRouter& router, GroupChatStageOptions options,
                 std::shared_ptr<ChannelDirectory> directory, ChannelService* channel);
  ~GroupChatStage() override;

  std::string_view name() const override { return "groupchat"; }
  proxy::routing::Verdict onRequest(proxy::routing::ContextPtr& ctx) override;

  // SessionSink: a server INFO on the channel dialog of `session`.
  void sendEnvelope(SessionId session, std::string xml) override;

  // Ends dialogs whose session timer ran out (call about once a second).
  void housekeeping(int64_t now_ms);
  // The connection `flow_token` names has closed: its dialogs end at once (the
  // client reconnects and re-INVITEs; waiting for the session timer would keep
  // them counted against max_sessions for minutes). Returns how many ended.
  size_t flowClosed(const std::string& flow_token);

  size_t dialogCount() const { return dialogs_.size(); }
  // Called from the destructor (the owner of the channel service stops forwarding to us).
  void onDestroy(std::function<void()> callback) { on_destroy_ = std::move(callback); }

 private:
  struct Dialog {
    bool lookup = false;
    int channel_index = -1;  // in the directory, for channel dialogs
    SessionId session = 0;
    std::string call_id, local_tag, remote_tag;
    std::string local_uri, remote_uri, remote_target, local_contact, flow_token;
    std::vector<std::string> route_set;
    uint32_t local_cseq = 1;
    uint32_t session_expires_s = 0;
    int64_t expires_at_ms = 0;
  };

  proxy::routing::Verdict onInvite(proxy::routing::RequestContext& ctx, bool lookup,
                                   int channel_index, std::string_view user);
  proxy::routing::Verdict onInDialog(proxy::routing::ContextPtr& ctx, Dialog& dialog);
  void onLookupInfo(proxy::routing::RequestContext& ctx, Dialog& dialog);
  void refresh(proxy::routing::RequestContext& ctx, Dialog& dialog, bool with_sdp);
  // Sends an in-dialog request; `on_final` gets the final status.
  void sendInDialog(Dialog& dialog, std::string_view method, std::string_view body,
                    std::function<void(int)> on_final);
  void endDialog(const std::string& key, bool send_bye);
  std::string sdpAnswer(const proxy::routing::RequestContext& ctx) const;

  proxy::routing::ShardRouter& router_;
  GroupChatStageOptions options_;
  std::shared_ptr<ChannelDirectory> directory_;
  ChannelService* channel_;
  std::shared_ptr<GroupChatStage*> self_;
  std::unordered_map<std::string, Dialog> dialogs_;  // by Call-ID + "\n" + our tag
  std::unordered_map<SessionId, std::string> by_session_;
  std::unordered_multimap<std::string, std::string> by_flow_;  // flow token -> dialog keys
  size_t lookup_dialogs_ = 0;
  std::function<void()> on_destroy_;
};

// The Session-Expires delta of a header value ("1800;refresher=uac"), or 0.
uint32_t parseSessionExpires(std::string_view value);

}  // namespace core::groupchat
