// SPDX-License-Identifier: Apache-2.0
// The group-chat database: its own SQLite file (WAL), schema migrations, and
// group commit through a StorageThread. Posts and preference writes are queued
// to the storage thread and their completion is posted back only after the
// batch committed, so a post is acknowledged only once it is durable. Reads
// (catalogue, history, search, preferences, invitations) go through a Reader:
// one read connection per shard thread, never shared. Catalogue edits (YAML
// seeding, confabctl) are rare and synchronous; they bump a catalogue version
// that running services poll to reload.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core-server/groupchat/service/room.h"
#include "core-server/storage/sqlite_connection.h"
#include "core-server/storage/storage_thread.h"
#include "proxy/base/result.h"

namespace core::groupchat {

struct StoredPost {
  int64_t id = 0;  // assigned at commit
  std::string room;
  std::string author;   // AOR user@domain
  int64_t time_ms = 0;  // Unix time
  std::string text;
};

struct StoredPref {
  std::string label;
  uint64_t seqid = 0;
  std::string content;  // base64, as the client sent it
};

struct StoredInvitation {
  int64_t id = 0;
  std::string room;
  std::string user;
  std::string inviter;
  int64_t time_ms = 0;
};

// A file transfer token (rpl:getftok): single use, for one user, room and file.
struct FileToken {
  std::string token;  // a random UUID
  std::string user;
  std::string room;
  bool upload = true;
  std::string file_name;
  int64_t issued_ms = 0;
  int64_t expires_ms = 0;
};

struct Catalogue {
  std::vector<Category> categories;
  std::vector<Room> rooms;
};

// One preference write of a setpref: stored only if the stored version is `seqid`.
struct PrefWrite {
  std::string label;
  uint64_t seqid = 0;  // the version the client based its edit on (0 = new)
  std::string content;
};
enum class PrefWriteOutcome { Written, Collision, Failed };

class GroupChatStore {
 public:
  struct Options {
    std::string path;
    storage::ConnectionOptions connection;
    storage::StorageThread::Options batch;
  };

  static proxy::Result<std::shared_ptr<GroupChatStore>> open(const Options& options);
  ~GroupChatStore();

  // ---- Catalogue (synchronous; start-up and admin tools) ----
  proxy::Result<void> upsertCategory(const Category& category);
  proxy::Result<void> upsertRoom(const Room& room);  // replaces its roles and search entry
  proxy::Result<void> deleteRoom(const std::string& uuid);
  proxy::Result<int64_t> addInvitation(const StoredInvitation& invitation);

  // ---- Asynchronous writes; `done` is posted through `post` after the commit ----
  void appendPost(StoredPost post, storage::Poster poster,
                  std::function<void(bool ok, int64_t id)> done);
  void writePrefs(std::string user, std::vector<PrefWrite> prefs, storage::Poster poster,
                  std::function<void(PrefWriteOutcome)> done);
  void deleteInvitation(int64_t id);
  // Adds `user` to the members of `room` and drops invitation `invitation_id` (joined).
  void addMember(std::string room, std::string user, int64_t invitation_id);
  // Deletes posts older than each room's retention.
  void expirePosts(const std::vector<std::pair<std::string, int64_t>>& room_cutoffs_ms);
  // Stores a token (and prunes expired ones); `done(ok)` after the commit.
  void issueFileToken(FileToken token, storage::Poster poster, std::function<void(bool)> done);
  // Validates and deletes a token in one transaction: the file endpoint's check.
  // 403 for unknown, already used, expired or wrong-direction tokens. Blocking.
  proxy::Result<FileToken> consumeFileToken(const std::string& token, bool upload, int64_t now_ms);
  // Blocks until everything queued so far committed (tests, shutdown).
  void flush();

  class Reader {
   public:
    explicit Reader(std::unique_ptr<storage::Connection> db) : db_(std::move(db)) {}
    proxy::Result<Catalogue> catalogue();
    int64_t catalogueVersion();  // -1 on error
    // The last `count` posts of `room`, oldest first.
    proxy::Result<std::vector<StoredPost>> history(const std::string& room, uint32_t count);
    // The last `count` posts of `room` with an id below `before`, oldest first (a page of
    // back-history).
    proxy::Result<std::vector<StoredPost>> historyBefore(const std::string& room, uint32_t count,
                                                         int64_t before);
    // Room uuids matching `criteria` (name, description, keywords; words as prefixes), best first.
    proxy::Result<std::vector<std::string>> search(const std::string& criteria, uint32_t limit);
    // One page of matches ordered by (name, uuid), after the room (after_name, after_uuid)
    // ("" = from the start): stable across requests, so a client can walk every page.
    struct Hit {
      std::string uuid;
      std::string name;
    };
    proxy::Result<std::vector<Hit>> searchPage(const std::string& criteria, uint32_t limit,
                                               const std::string& after_name,
                                               const std::string& after_uuid);
    proxy::Result<std::vector<StoredPref>> prefs(const std::string& user);
    proxy::Result<std::vector<StoredInvitation>> invitations(const std::string& user);
    proxy::Result<int64_t> postCount(const std::string& room);

   private:
    std::unique_ptr<storage::Connection> db_;
  };
  // A new read connection, for one thread.
  proxy::Result<std::unique_ptr<Reader>> reader();

  const std::string& path() const { return options_.path; }

 private:
  explicit GroupChatStore(Options options) : options_(std::move(options)) {}
  proxy::Result<void> writeNow(storage::StorageThread::Write write);

  Options options_;
  std::unique_ptr<storage::StorageThread> writer_;
};

// The FTS5 query for chansrch criteria: every word as a quoted prefix term; ""
// when the criteria hold no word (list all rooms).
std::string searchQuery(std::string_view criteria);

}  // namespace core::groupchat
