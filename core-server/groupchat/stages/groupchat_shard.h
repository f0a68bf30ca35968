// SPDX-License-Identifier: Apache-2.0
// Group chat on one shard, built from the `groupchat:` configuration: the
// process-wide store (opened and seeded from YAML once, by whichever shard
// comes first), this shard's channel service when it owns a channel service
// URI (a room's state and its participants' sessions live on that shard), and
// the pipeline stage. confabd builds one per shard and calls housekeeping()
// about once a second.
#pragma once

#include <memory>

#include "core-server/groupchat/files/file_server.h"
#include "core-server/groupchat/service/channel_service.h"
#include "core-server/groupchat/service/groupchat_store.h"
#include "core-server/groupchat/stages/channel_directory.h"
#include "core-server/groupchat/stages/groupchat_stage.h"
#include "proxy/config/config.h"
#include "proxy/routing/shard_router.h"
#include "proxy/uv/timer.h"

namespace core::groupchat {

class GroupChatShard {
 public:
  // Null when group chat is disabled or its store cannot be opened (logged).
  static std::unique_ptr<GroupChatShard> build(const proxy::config::Config& config,
                                               proxy::routing::ShardRouter& router);
  ~GroupChatShard();

  // The stage for the pipeline (after request auth, before location); call once.
  std::unique_ptr<proxy::routing::Stage> makeStage();
  void housekeeping();
  // A stream connection closed: end the chat dialogs that lived on it.
  void flowClosed(const std::string& flow_token);
  ChannelService* channel() { return channel_.get(); }

 private:
  GroupChatShard() = default;

  std::shared_ptr<GroupChatStore> store_;
  std::shared_ptr<ChannelDirectory> directory_;
  std::shared_ptr<ChannelHub> hub_;
  proxy::routing::ShardRouter* router_ = nullptr;
  GroupChatStageOptions stage_options_;
  std::unique_ptr<ChannelService> channel_;
  std::unique_ptr<proxy::uv::Timer> notice_timer_;  // the channel service's delayed notices
  std::function<void()> notice_task_;
  std::unique_ptr<FileServer> files_;  // built by the first shard hosting a channel service
  // The stage is owned by the pipeline; the proxy sink forwards to it while it lives.
  class Sink;
  std::unique_ptr<Sink> sink_;
  std::shared_ptr<GroupChatStage*> stage_;
};

// The configured database path: groupchat.database, else <var_dir>/groupchat.db.
std::string groupChatDatabasePath(const proxy::config::Config& config);

// Writes the YAML categories and rooms into the store (matched by name; stored
// uuids are kept). Rooms only in the store (confabctl) are left alone.
proxy::Result<void> seedCatalogue(GroupChatStore& store, const proxy::config::GroupChatConfig& gc);

}  // namespace core::groupchat
