// SPDX-License-Identifier: Apache-2.0
#include "core-server/groupchat/service/groupchat_store.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <optional>

#include "core-server/storage/migrations.h"
#include "proxy/base/log.h"

namespace core::groupchat {
namespace {

using storage::Connection;
using storage::Statement;
using storage::StatementScope;

// The schema, one step per release; never edit a step once shipped, append one.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO meta(key, value) VALUES('catalogue_version', 0);
CREATE TABLE categories(uuid TEXT PRIMARY KEY, name TEXT NOT NULL,
                        description TEXT NOT NULL DEFAULT '');
CREATE TABLE rooms(uuid TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,
                   category TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '',
                   topic TEXT NOT NULL DEFAULT '', keywords TEXT NOT NULL DEFAULT '',
                   kind TEXT NOT NULL DEFAULT 'open', auditorium INTEGER NOT NULL DEFAULT 0,
                   retention_days INTEGER NOT NULL DEFAULT 0);
CREATE TABLE room_roles(room TEXT NOT NULL, user TEXT NOT NULL, role TEXT NOT NULL,
                        PRIMARY KEY(room, user, role)) WITHOUT ROWID;
CREATE TABLE invitations(id INTEGER PRIMARY KEY, room TEXT NOT NULL, user TEXT NOT NULL,
                         inviter TEXT NOT NULL, ts_ms INTEGER NOT NULL);
CREATE INDEX invitations_user ON invitations(user);
CREATE TABLE posts(id INTEGER PRIMARY KEY, room TEXT NOT NULL, author TEXT NOT NULL,
                   ts_ms INTEGER NOT NULL, text TEXT NOT NULL);
CREATE INDEX posts_room ON posts(room, id);
CREATE TABLE prefs(user TEXT NOT NULL, label TEXT NOT NULL, seqid INTEGER NOT NULL,
                   content TEXT NOT NULL, PRIMARY KEY(user, label)) WITHOUT ROWID;
CREATE VIRTUAL TABLE room_search USING fts5(uuid UNINDEXED, name, description, keywords);
)sql",
    // File transfer tokens (getfutok / getfdtok): single use, bound to user, room and file.
    R"sql(
CREATE TABLE file_tokens(token TEXT PRIMARY KEY, user TEXT NOT NULL, room TEXT NOT NULL,
                         upload INTEGER NOT NULL, file_name TEXT NOT NULL,
                         expires_ms INTEGER NOT NULL) WITHOUT ROWID;
)sql",
};

constexpr std::string_view kBumpCatalogue =
    "UPDATE meta SET value = value + 1 WHERE key = 'catalogue_version'";

proxy::Error dbError(Connection& db, std::string_view what) {
  return proxy::makeError(503, std::string(what) + ": " + db.lastError());
}

bool runSql(Connection& db, std::string_view sql) {
  Statement* s = db.prepare(sql);
  return s != nullptr && s->run();
}

bool writeRoom(Connection& db, const Room& room) {
  Statement* s = db.prepare(
      "INSERT INTO rooms(uuid, name, category, description, topic, keywords, kind, auditorium, "
      "retention_days) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(uuid) DO UPDATE SET "
      "name = excluded.name, category = excluded.category, description = excluded.description, "
      "topic = excluded.topic, keywords = excluded.keywords, kind = excluded.kind, "
      "auditorium = excluded.auditorium, retention_days = excluded.retention_days");
  if (s == nullptr) {
    return false;
  }
  const std::string_view kind = roomKindName(room.kind);
  s->bindText(1, room.uuid).bindText(2, room.name).bindText(3, room.category);
  s->bindText(4, room.description).bindText(5, room.topic).bindText(6, room.keywords);
  s->bindText(7, kind).bindInt(8, room.auditorium ? 1 : 0).bindInt(9, room.retention_days);
  if (!s->run()) {
    return false;
  }
  Statement* del = db.prepare("DELETE FROM room_roles WHERE room = ?1");
  if (del == nullptr || !del->bindText(1, room.uuid).run()) {
    return false;
  }
  Statement* role = db.prepare("INSERT INTO room_roles(room, user, role) VALUES(?1, ?2, ?3)");
  if (role == nullptr) {
    return false;
  }
  const std::pair<const std::set<std::string>*, std::string_view> lists[] = {
      {&room.members, "member"}, {&room.managers, "manager"}, {&room.presenters, "presenter"}};
  for (const auto& [users, name] : lists) {
    for (const std::string& user : *users) {
      if (!role->bindText(1, room.uuid).bindText(2, user).bindText(3, name).run()) {
        return false;
      }
    }
  }
  Statement* unindex = db.prepare("DELETE FROM room_search WHERE uuid = ?1");
  Statement* index = db.prepare(
      "INSERT INTO room_search(uuid, name, description, keywords) VALUES(?1, ?2, ?3, ?4)");
  return unindex != nullptr && index != nullptr && unindex->bindText(1, room.uuid).run() &&
         index->bindText(1, room.uuid)
             .bindText(2, room.name)
             .bindText(3, room.description)
             .bindText(4, room.keywords)
             .run() &&
         runSql(db, kBumpCatalogue);
}

// Runs tasks inline on the storage thread: for writes whose caller waits with flush().
void runInline(std::function<void()> task) { task(); }

}  // namespace

std::string searchQuery(std::string_view criteria) {
  std::string query;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) {
      query.append(query.empty() ? "" : " ").append("\"").append(word).append("\"*");
      word.clear();
    }
  };
  for (char c : criteria) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || u >= 0x80) {  // UTF-8 bytes belong to words
      word.push_back(c);
    } else {
      flush();
    }
  }
  flush();
  return query;
}

proxy::Result<std::shared_ptr<GroupChatStore>> GroupChatStore::open(const Options& options) {
  auto db = Connection::open(options.path, options.connection);
  if (!db) {
    return db.error();
  }
  std::span<const char* const> steps(kMigrations);
  if (auto migrated = storage::migrate(**db, steps); !migrated) {
    return migrated.error();
  }
  std::shared_ptr<GroupChatStore> store(new GroupChatStore(options));
  store->writer_ = std::make_unique<storage::StorageThread>(std::move(*db), options.batch);
  return store;
}

GroupChatStore::~GroupChatStore() = default;  // the writer commits what is queued

proxy::Result<void> GroupChatStore::writeNow(storage::StorageThread::Write write) {
  auto ok = std::make_shared<std::atomic<bool>>(false);
  writer_->submit(std::move(write), runInline, [ok](bool done) { ok->store(done); });
  writer_->flush();
  if (!ok->load()) {
    return proxy::makeError(503, "group-chat database write failed");
  }
  return {};
}

proxy::Result<void> GroupChatStore::upsertCategory(const Category& category) {
  return writeNow([category](Connection& db) {
    Statement* s = db.prepare(
        "INSERT INTO categories(uuid, name, description) VALUES(?1, ?2, ?3) ON CONFLICT(uuid) "
        "DO UPDATE SET name = excluded.name, description = excluded.description");
    return s != nullptr &&
           s->bindText(1, category.uuid)
               .bindText(2, category.name)
               .bindText(3, category.description)
               .run() &&
           runSql(db, kBumpCatalogue);
  });
}

proxy::Result<void> GroupChatStore::upsertRoom(const Room& room) {
  return writeNow([room](Connection& db) { return writeRoom(db, room); });
}

proxy::Result<void> GroupChatStore::deleteRoom(const std::string& uuid) {
  return writeNow([uuid](Connection& db) {
    for (std::string_view sql :
         {"DELETE FROM rooms WHERE uuid = ?1", "DELETE FROM room_roles WHERE room = ?1",
          "DELETE FROM room_search WHERE uuid = ?1", "DELETE FROM invitations WHERE room = ?1",
          "DELETE FROM posts WHERE room = ?1"}) {
      Statement* s = db.prepare(sql);
      if (s == nullptr || !s->bindText(1, uuid).run()) {
        return false;
      }
    }
    return runSql(db, kBumpCatalogue);
  });
}

proxy::Result<int64_t> GroupChatStore::addInvitation(const StoredInvitation& invitation) {
  auto id = std::make_shared<int64_t>(0);
  auto written = writeNow([invitation, id](Connection& db) {
    Statement* s =
        db.prepare("INSERT INTO invitations(room, user, inviter, ts_ms) VALUES(?1, ?2, ?3, ?4)");
    if (s == nullptr || !s->bindText(1, invitation.room)
                             .bindText(2, invitation.user)
                             .bindText(3, invitation.inviter)
                             .bindInt(4, invitation.time_ms)
                             .run()) {
      return false;
    }
    *id = sqlite3_last_insert_rowid(db.raw());
    return true;
  });
  if (!written) {
    return written.error();
  }
  return *id;
}

void GroupChatStore::appendPost(StoredPost post, storage::Poster poster,
                                std::function<void(bool, int64_t)> done) {
  auto id = std::make_shared<int64_t>(0);
  auto row = std::make_shared<StoredPost>(std::move(post));
  writer_->submit(
      [row, id](Connection& db) {
        Statement* s =
            db.prepare("INSERT INTO posts(room, author, ts_ms, text) VALUES(?1, ?2, ?3, ?4)");
        if (s == nullptr || !s->bindText(1, row->room)
                                 .bindText(2, row->author)
                                 .bindInt(3, row->time_ms)
                                 .bindText(4, row->text)
                                 .run()) {
          return false;
        }
        *id = sqlite3_last_insert_rowid(db.raw());
        return true;
      },
      std::move(poster), [id, done = std::move(done)](bool ok) { done(ok, ok ? *id : 0); });
}

void GroupChatStore::writePrefs(std::string user, std::vector<PrefWrite> prefs,
                                storage::Poster poster,
                                std::function<void(PrefWriteOutcome)> done) {
  auto outcome = std::make_shared<PrefWriteOutcome>(PrefWriteOutcome::Failed);
  auto data = std::make_shared<std::pair<std::string, std::vector<PrefWrite>>>(std::move(user),
                                                                               std::move(prefs));
  writer_->submit(
      [data, outcome](Connection& db) {
        // Check every version first: one stale document fails the whole setpref.
        Statement* get = db.prepare("SELECT seqid FROM prefs WHERE user = ?1 AND label = ?2");
        if (get == nullptr) {
          return false;
        }
        for (const PrefWrite& w : data->second) {
          StatementScope scope(*get);
          get->bindText(1, data->first).bindText(2, w.label);
          const uint64_t stored = get->next() ? static_cast<uint64_t>(get->integer(0)) : 0;
          if (!get->ok()) {
            return false;
          }
          if (stored != w.seqid) {
            *outcome = PrefWriteOutcome::Collision;
            return true;  // nothing written; the batch goes on
          }
        }
        Statement* put = db.prepare(
            "INSERT INTO prefs(user, label, seqid, content) VALUES(?1, ?2, ?3, ?4) "
            "ON CONFLICT(user, label) DO UPDATE SET seqid = excluded.seqid, "
            "content = excluded.content");
        if (put == nullptr) {
          return false;
        }
        for (const PrefWrite& w : data->second) {
          if (!put->bindText(1, data->first)
                   .bindText(2, w.label)
                   .bindInt(3, static_cast<int64_t>(w.seqid + 1))
                   .bindText(4, w.content)
                   .run()) {
            return false;
          }
        }
        *outcome = PrefWriteOutcome::Written;
        return true;
      },
      std::move(poster),
      [outcome, done = std::move(done)](bool ok) {
        done(ok ? *outcome : PrefWriteOutcome::Failed);
      });
}

void GroupChatStore::deleteInvitation(int64_t id) {
  writer_->submit(
      [id](Connection& db) {
        Statement* s = db.prepare("DELETE FROM invitations WHERE id = ?1");
        return s != nullptr && s->bindInt(1, id).run();
      },
      {}, {});
}

void GroupChatStore::addMember(std::string room, std::string user, int64_t invitation_id) {
  writer_->submit(
      [room = std::move(room), user = std::move(user), invitation_id](Connection& db) {
        Statement* role = db.prepare(
            "INSERT OR IGNORE INTO room_roles(room, user, role) VALUES(?1, ?2, 'member')");
        Statement* drop = db.prepare("DELETE FROM invitations WHERE id = ?1");
        return role != nullptr && drop != nullptr &&
               role->bindText(1, room).bindText(2, user).run() &&
               drop->bindInt(1, invitation_id).run() && runSql(db, kBumpCatalogue);
      },
      {}, {});
}

void GroupChatStore::expirePosts(
    const std::vector<std::pair<std::string, int64_t>>& room_cutoffs_ms) {
  if (room_cutoffs_ms.empty()) {
    return;
  }
  writer_->submit(
      [cutoffs = room_cutoffs_ms](Connection& db) {
        Statement* s = db.prepare("DELETE FROM posts WHERE room = ?1 AND ts_ms < ?2");
        if (s == nullptr) {
          return false;
        }
        for (const auto& [room, cutoff] : cutoffs) {
          if (!s->bindText(1, room).bindInt(2, cutoff).run()) {
            return false;
          }
        }
        return true;
      },
      {}, {});
}

void GroupChatStore::issueFileToken(FileToken token, storage::Poster poster,
                                    std::function<void(bool)> done) {
  auto row = std::make_shared<FileToken>(std::move(token));
  writer_->submit(
      [row](Connection& db) {
        Statement* prune = db.prepare("DELETE FROM file_tokens WHERE expires_ms < ?1");
        Statement* s = db.prepare(
            "INSERT INTO file_tokens(token, user, room, upload, file_name, expires_ms) "
            "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
        return prune != nullptr && s != nullptr && prune->bindInt(1, row->issued_ms).run() &&
               s->bindText(1, row->token)
                   .bindText(2, row->user)
                   .bindText(3, row->room)
                   .bindInt(4, row->upload ? 1 : 0)
                   .bindText(5, row->file_name)
                   .bindInt(6, row->expires_ms)
                   .run();
      },
      std::move(poster), std::move(done));
}

proxy::Result<FileToken> GroupChatStore::consumeFileToken(const std::string& token, bool upload,
                                                          int64_t now_ms) {
  auto found = std::make_shared<std::optional<FileToken>>();
  auto consumed = writeNow([token, upload, now_ms, found](Connection& db) {
    Statement* get = db.prepare(
        "SELECT user, room, file_name, expires_ms FROM file_tokens WHERE token = ?1 AND "
        "upload = ?2");
    Statement* del = db.prepare("DELETE FROM file_tokens WHERE token = ?1");
    if (get == nullptr || del == nullptr) {
      return false;
    }
    {
      StatementScope scope(*get);
      get->bindText(1, token).bindInt(2, upload ? 1 : 0);
      if (get->next() && get->integer(3) >= now_ms) {
        *found =
            FileToken{token, get->text(0), get->text(1), upload, get->text(2), 0, get->integer(3)};
      }
      if (!get->ok()) {
        return false;
      }
    }
    return !found->has_value() || del->bindText(1, token).run();  // single use
  });
  if (!consumed) {
    return consumed.error();
  }
  if (!found->has_value()) {
    return proxy::makeError(403, "unknown, used or expired file token");
  }
  return **found;
}

void GroupChatStore::flush() { writer_->flush(); }

proxy::Result<std::unique_ptr<GroupChatStore::Reader>> GroupChatStore::reader() {
  auto db = Connection::open(options_.path, options_.connection);
  if (!db) {
    return db.error();
  }
  return std::make_unique<Reader>(std::move(*db));
}

proxy::Result<Catalogue> GroupChatStore::Reader::catalogue() {
  Connection& db = *db_;
  if (!db.run("BEGIN")) {  // one snapshot for the three tables
    return dbError(db, "catalogue");
  }
  Catalogue out;
  bool ok = true;
  if (Statement* s = db.prepare("SELECT uuid, name, description FROM categories ORDER BY name")) {
    StatementScope scope(*s);
    while (s->next()) {
      out.categories.push_back({s->text(0), s->text(1), s->text(2)});
    }
    ok = ok && s->ok();
  } else {
    ok = false;
  }
  std::map<std::string, size_t> index;
  if (Statement* s =
          db.prepare("SELECT uuid, name, category, description, topic, keywords, kind, auditorium, "
                     "retention_days FROM rooms ORDER BY name")) {
    StatementScope scope(*s);
    while (s->next()) {
      Room room;
      room.uuid = s->text(0);
      room.name = s->text(1);
      room.category = s->text(2);
      room.description = s->text(3);
      room.topic = s->text(4);
      room.keywords = s->text(5);
      room.kind = parseRoomKind(s->text(6)).value_or(RoomKind::Secret);  // unknown: hide it
      room.auditorium = s->integer(7) != 0;
      room.retention_days = static_cast<uint32_t>(s->integer(8));
      index[room.uuid] = out.rooms.size();
      out.rooms.push_back(std::move(room));
    }
    ok = ok && s->ok();
  } else {
    ok = false;
  }
  if (Statement* s = db.prepare("SELECT room, user, role FROM room_roles")) {
    StatementScope scope(*s);
    while (s->next()) {
      auto it = index.find(s->text(0));
      if (it == index.end()) {
        continue;
      }
      Room& room = out.rooms[it->second];
      const std::string role = s->text(2);
      (role == "manager"     ? room.managers
       : role == "presenter" ? room.presenters
                             : room.members)
          .insert(s->text(1));
    }
    ok = ok && s->ok();
  } else {
    ok = false;
  }
  db.run("COMMIT");
  if (!ok) {
    return dbError(db, "catalogue");
  }
  return out;
}

int64_t GroupChatStore::Reader::catalogueVersion() {
  auto version = db_->queryInt("SELECT value FROM meta WHERE key = 'catalogue_version'");
  return version ? *version : -1;
}

proxy::Result<std::vector<StoredPost>> GroupChatStore::Reader::history(const std::string& room,
                                                                       uint32_t count) {
  Statement* s = db_->prepare(
      "SELECT id, author, ts_ms, text FROM posts WHERE room = ?1 ORDER BY id DESC LIMIT ?2");
  if (s == nullptr) {
    return dbError(*db_, "history");
  }
  StatementScope scope(*s);
  s->bindText(1, room).bindInt(2, count);
  std::vector<StoredPost> out;
  while (s->next()) {
    out.push_back({s->integer(0), room, s->text(1), s->integer(2), s->text(3)});
  }
  if (!s->ok()) {
    return dbError(*db_, "history");
  }
  std::reverse(out.begin(), out.end());
  return out;
}

proxy::Result<std::vector<StoredPost>> GroupChatStore::Reader::historyBefore(
    const std::string& room, uint32_t count, int64_t before) {
  Statement* s = db_->prepare(
      "SELECT id, author, ts_ms, text FROM posts WHERE room = ?1 AND id < ?3 "
      "ORDER BY id DESC LIMIT ?2");
  if (s == nullptr) {
    return dbError(*db_, "history");
  }
  StatementScope scope(*s);
  s->bindText(1, room).bindInt(2, count).bindInt(3, before);
  std::vector<StoredPost> out;
  while (s->next()) {
    out.push_back({s->integer(0), room, s->text(1), s->integer(2), s->text(3)});
  }
  if (!s->ok()) {
    return dbError(*db_, "history");
  }
  std::reverse(out.begin(), out.end());
  return out;
}

proxy::Result<std::vector<GroupChatStore::Reader::Hit>> GroupChatStore::Reader::searchPage(
    const std::string& criteria, uint32_t limit, const std::string& after_name,
    const std::string& after_uuid) {
  const std::string query = searchQuery(criteria);
  Statement* s =
      query.empty()
          ? db_->prepare(
                "SELECT uuid, name FROM rooms WHERE (name, uuid) > (?3, ?4) "
                "ORDER BY name, uuid LIMIT ?1")
          : db_->prepare(
                "SELECT r.uuid, r.name FROM room_search s JOIN rooms r ON r.uuid = s.uuid "
                "WHERE room_search MATCH ?2 AND (r.name, r.uuid) > (?3, ?4) "
                "ORDER BY r.name, r.uuid LIMIT ?1");
  if (s == nullptr) {
    return dbError(*db_, "search");
  }
  StatementScope scope(*s);
  s->bindInt(1, limit).bindText(3, after_name).bindText(4, after_uuid);
  if (!query.empty()) {
    s->bindText(2, query);
  }
  std::vector<Hit> out;
  while (s->next()) {
    out.push_back({s->text(0), s->text(1)});
  }
  if (!s->ok()) {
    return dbError(*db_, "search");
  }
  return out;
}

proxy::Result<std::vector<std::string>> GroupChatStore::Reader::search(const std::string& criteria,
                                                                       uint32_t limit) {
  const std::string query = searchQuery(criteria);
  Statement* s = query.empty() ? db_->prepare("SELECT uuid FROM rooms ORDER BY name LIMIT ?1")
                               : db_->prepare(
                                     "SELECT uuid FROM room_search WHERE room_search MATCH ?2 "
                                     "ORDER BY rank LIMIT ?1");
  if (s == nullptr) {
    return dbError(*db_, "search");
  }
  StatementScope scope(*s);
  s->bindInt(1, limit);
  if (!query.empty()) {
    s->bindText(2, query);
  }
  std::vector<std::string> out;
  while (s->next()) {
    out.push_back(s->text(0));
  }
  if (!s->ok()) {
    return dbError(*db_, "search");
  }
  return out;
}

proxy::Result<std::vector<StoredPref>> GroupChatStore::Reader::prefs(const std::string& user) {
  Statement* s = db_->prepare("SELECT label, seqid, content FROM prefs WHERE user = ?1");
  if (s == nullptr) {
    return dbError(*db_, "prefs");
  }
  StatementScope scope(*s);
  s->bindText(1, user);
  std::vector<StoredPref> out;
  while (s->next()) {
    out.push_back({s->text(0), static_cast<uint64_t>(s->integer(1)), s->text(2)});
  }
  if (!s->ok()) {
    return dbError(*db_, "prefs");
  }
  return out;
}

proxy::Result<std::vector<StoredInvitation>> GroupChatStore::Reader::invitations(
    const std::string& user) {
  Statement* s =
      db_->prepare("SELECT id, room, inviter, ts_ms FROM invitations WHERE user = ?1 ORDER BY id");
  if (s == nullptr) {
    return dbError(*db_, "invitations");
  }
  StatementScope scope(*s);
  s->bindText(1, user);
  std::vector<StoredInvitation> out;
  while (s->next()) {
    out.push_back({s->integer(0), s->text(1), user, s->text(2), s->integer(3)});
  }
  if (!s->ok()) {
    return dbError(*db_, "invitations");
  }
  return out;
}

proxy::Result<int64_t> GroupChatStore::Reader::postCount(const std::string& room) {
  Statement* s = db_->prepare("SELECT count(*) FROM posts WHERE room = ?1");
  if (s == nullptr) {
    return dbError(*db_, "count");
  }
  StatementScope scope(*s);
  s->bindText(1, room);
  if (!s->next()) {
    return dbError(*db_, "count");
  }
  return s->integer(0);
}

}  // namespace core::groupchat
