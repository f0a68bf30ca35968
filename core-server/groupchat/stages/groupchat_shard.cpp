// SPDX-License-Identifier: Apache-2.0
#include "core-server/groupchat/stages/groupchat_shard.h"

#include <map>
#include <mutex>

#include "proxy/base/clock.h"
#include "proxy/base/log.h"

namespace core::groupchat {
namespace {

// One store per process, shared by the shards; opened and seeded once.
std::mutex shared_mutex;
std::weak_ptr<GroupChatStore> shared_store;
std::weak_ptr<ChannelDirectory> shared_directory;
std::weak_ptr<ChannelHub> shared_hub;
// Join/part notices wait this long, so a burst of joins reaches each participant as a
// few INFOs (SERVICE.md "Join cost"); short enough that people see arrivals at once.
constexpr uint32_t kNoticeDelayMs = 50;
bool file_server_started = false;  // one HTTP file endpoint per process

}  // namespace

std::string groupChatDatabasePath(const proxy::config::Config& config) {
  if (!config.groupchat.database.empty()) {
    return config.groupchat.database;
  }
  const std::string& var = config.server.var_dir;
  return (var.empty() ? std::string(".") : var) + "/groupchat.db";
}

proxy::Result<void> seedCatalogue(GroupChatStore& store, const proxy::config::GroupChatConfig& gc) {
  auto reader = store.reader();
  if (!reader) {
    return reader.error();
  }
  auto stored = (*reader)->catalogue();
  if (!stored) {
    return stored.error();
  }
  std::map<std::string, std::string> category_uuid;
  for (const Category& c : stored->categories) {
    category_uuid[c.name] = c.uuid;
  }
  for (const auto& c : gc.categories) {
    auto it = category_uuid.find(c.name);
    Category category{it != category_uuid.end() ? it->second : newUuid(), c.name, c.description};
    category_uuid[c.name] = category.uuid;
    if (auto ok = store.upsertCategory(category); !ok) {
      return ok;
    }
  }
  std::map<std::string, std::string> room_uuid;
  for (const Room& r : stored->rooms) {
    room_uuid[r.name] = r.uuid;
  }
  for (const auto& r : gc.rooms) {
    Room room;
    auto it = room_uuid.find(r.name);
    room.uuid = it != room_uuid.end() ? it->second : newUuid();
    room.name = r.name;
    room.category = r.category.empty() ? std::string() : category_uuid[r.category];
    room.description = r.description;
    room.topic = r.topic;
    room.keywords = r.keywords;
    room.kind = parseRoomKind(r.kind).value_or(RoomKind::Open);
    room.auditorium = r.auditorium;
    room.retention_days = r.retention_days;
    room.members.insert(r.members.begin(), r.members.end());
    room.managers.insert(r.managers.begin(), r.managers.end());
    room.presenters.insert(r.presenters.begin(), r.presenters.end());
    if (auto ok = store.upsertRoom(room); !ok) {
      return ok;
    }
  }
  return {};
}

// Forwards the channel service's envelopes to the stage while it lives.
class GroupChatShard::Sink final : public SessionSink {
 public:
  explicit Sink(std::shared_ptr<GroupChatStage*> stage) : stage_(std::move(stage)) {}
  void sendEnvelope(SessionId session, std::string xml) override {
    if (*stage_ != nullptr) {
      (*stage_)->sendEnvelope(session, std::move(xml));
    }
  }

 private:
  std::shared_ptr<GroupChatStage*> stage_;
};

std::unique_ptr<GroupChatShard> GroupChatShard::build(const proxy::config::Config& config,
                                                      proxy::routing::ShardRouter& router) {
  const proxy::config::GroupChatConfig& gc = config.groupchat;
  if (!gc.enabled || gc.channel_uris.empty()) {
    return nullptr;
  }
  std::unique_ptr<GroupChatShard> shard(new GroupChatShard());
  {
    std::lock_guard lock(shared_mutex);
    shard->store_ = shared_store.lock();
    if (!shard->store_) {
      GroupChatStore::Options options;
      options.path = groupChatDatabasePath(config);
      auto store = GroupChatStore::open(options);
      if (!store) {
        LOG_ERROR("groupchat: cannot open %s: %s", options.path.c_str(),
                  store.error().detail.c_str());
        return nullptr;
      }
      if (auto seeded = seedCatalogue(**store, gc); !seeded) {
        LOG_ERROR("groupchat: cannot seed rooms: %s", seeded.error().detail.c_str());
        return nullptr;
      }
      shard->store_ = *store;
      shared_store = shard->store_;
    }
    shard->hub_ = shared_hub.lock();
    if (!shard->hub_) {
      shard->hub_ = std::make_shared<ChannelHub>();
      shared_hub = shard->hub_;
    }
    shard->directory_ = shared_directory.lock();
    if (!shard->directory_) {
      shard->directory_ = std::make_shared<ChannelDirectory>(gc.channel_uris);
      shared_directory = shard->directory_;
    }
  }
  shard->router_ = &router;
  shard->stage_ = std::make_shared<GroupChatStage*>(nullptr);
  shard->sink_ = std::make_unique<Sink>(shard->stage_);
  shard->stage_options_.lookup_aor = gc.lookup_uri;
  shard->stage_options_.session_expires_s = gc.session_expires;
  shard->stage_options_.min_session_expires_s = gc.min_session_expires;

  bool hosts_channel = false;
  for (const std::string& aor : gc.channel_uris) {
    hosts_channel = hosts_channel || router.ownerOfAor(aor) == router.shardId();
  }
  if (hosts_channel) {
    auto reader = shard->store_->reader();
    if (!reader) {
      LOG_ERROR("groupchat: cannot open a reader: %s", reader.error().detail.c_str());
      return nullptr;
    }
    ChannelOptions options;
    options.file_service_uri = gc.file_service_uri;
    if (!gc.file_address.empty()) {
      std::unique_lock lock(shared_mutex);
      if (!file_server_started) {
        file_server_started = true;
        lock.unlock();
        FileServerOptions files;
        files.address = gc.file_address;
        files.port = static_cast<uint16_t>(gc.file_port);
        files.dir = gc.file_dir.empty() ? (config.server.var_dir.empty() ? std::string(".")
                                                                         : config.server.var_dir) +
                                              "/groupchat-files"
                                        : gc.file_dir;
        files.max_bytes = gc.max_file_size;
        if (gc.file_tls) {
          files.certificate = gc.file_certificate;  // the config resolved the listener's pair
          files.private_key = gc.file_private_key;
        }
        auto started = FileServer::start(files, shard->store_);
        if (!started) {
          LOG_ERROR("groupchat: %s", started.error().detail.c_str());
          return nullptr;
        }
        shard->files_ = std::move(*started);
        LOG_INFO("groupchat: file endpoint %s", shard->files_->serverUri().c_str());
      }
      if (options.file_service_uri.empty()) {
        // Other channel shards know the URI only when the port is configured.
        options.file_service_uri = shard->files_ ? shard->files_->serverUri()
                                   : gc.file_port != 0
                                       ? (gc.file_tls ? "https://" : "http://") + gc.file_address +
                                             ":" + std::to_string(gc.file_port) + "/files"
                                       : std::string();
      }
    }
    options.domain = config.domains.empty() ? std::string("localhost") : config.domains.front();
    options.search_limit = gc.search_limit;
    options.post_limits = {gc.message_size_limit, gc.story_size_limit};
    options.max_history = gc.max_history;
    options.bjoin_history = gc.bjoin_history;
    options.max_sessions = gc.max_sessions;
    options.max_posts_in_flight = gc.max_posts_in_flight;
    options.notice_delay_ms = kNoticeDelayMs;
    proxy::uv::Shard* uv_shard = &router.shard();
    shard->channel_ = std::make_unique<ChannelService>(
        options, shard->store_, std::move(*reader), *shard->sink_,
        [uv_shard](std::function<void()> task) { uv_shard->post(std::move(task)); });
    shard->channel_->joinHub(shard->hub_, router.shardId());
    GroupChatShard* self = shard.get();
    shard->notice_timer_ = std::make_unique<proxy::uv::Timer>(uv_shard->loop(), [self] {
      if (auto task = std::move(self->notice_task_)) {
        task();
      }
    });
    shard->channel_->setDelayer([self](uint32_t ms, std::function<void()> task) {
      self->notice_task_ = std::move(task);
      self->notice_timer_->start(ms);
    });
    if (auto loaded = shard->channel_->reload(); !loaded) {
      LOG_ERROR("groupchat: cannot load rooms: %s", loaded.error().detail.c_str());
      return nullptr;
    }
    LOG_INFO("groupchat: shard %u hosts the channel service (%zu rooms)", router.shardId(),
             gc.rooms.size());
  }
  return shard;
}

GroupChatShard::~GroupChatShard() {
  files_.reset();  // stops its thread
  channel_.reset();
  if (store_) {
    store_->flush();  // what was acknowledged is committed already; this finishes the rest
  }
}

std::unique_ptr<proxy::routing::Stage> GroupChatShard::makeStage() {
  auto stage =
      std::make_unique<GroupChatStage>(*router_, stage_options_, directory_, channel_.get());
  *stage_ = stage.get();
  stage->onDestroy([holder = stage_] { *holder = nullptr; });
  return stage;
}

void GroupChatShard::flowClosed(const std::string& flow_token) {
  if (*stage_ != nullptr) {
    (*stage_)->flowClosed(flow_token);
  }
}

void GroupChatShard::housekeeping() {
  if (*stage_ != nullptr) {
    (*stage_)->housekeeping(proxy::SystemClock::instance().monotonicMs());
  }
  if (channel_) {
    channel_->housekeeping(proxy::SystemClock::instance().unixSeconds() * 1000);
  }
}

}  // namespace core::groupchat
