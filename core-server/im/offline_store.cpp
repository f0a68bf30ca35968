// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/offline_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>

#include "core-server/storage/migrations.h"

namespace core::im {
namespace {

constexpr std::array<const char*, 1> kSteps = {
    "CREATE TABLE im_offline ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " recipient TEXT NOT NULL,"
    " sender TEXT NOT NULL,"
    " to_header TEXT NOT NULL,"
    " content_type TEXT NOT NULL,"
    " body TEXT NOT NULL,"
    " received_at INTEGER NOT NULL);"
    "CREATE INDEX im_offline_by_recipient ON im_offline(recipient, id);",
};

constexpr std::string_view kInsert =
    "INSERT INTO im_offline(recipient, sender, to_header, content_type, body, received_at)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
constexpr std::string_view kDelete = "DELETE FROM im_offline WHERE id = ?1";
constexpr std::string_view kSelect =
    "SELECT id, recipient, sender, to_header, content_type, body, received_at"
    " FROM im_offline ORDER BY id";

proxy::Result<std::vector<StoredMessage>> loadAll(storage::Connection& db) {
  storage::Statement* select = db.prepare(kSelect);
  if (select == nullptr) {
    return proxy::makeError(500, "im.db: " + db.lastError());
  }
  storage::StatementScope scope(*select);
  std::vector<StoredMessage> out;
  while (select->next()) {
    StoredMessage m;
    m.id = select->integer(0);
    m.recipient = select->text(1);
    m.from = select->text(2);
    m.to = select->text(3);
    m.content_type = select->text(4);
    m.body = select->text(5);
    m.received_at = select->integer(6);
    out.push_back(std::move(m));
  }
  if (!select->ok()) {
    return proxy::makeError(500, "im.db: " + db.lastError());
  }
  return out;
}

}  // namespace

std::span<const char* const> offlineMigrations() { return kSteps; }

proxy::Result<std::unique_ptr<OfflineStore>> OfflineStore::open(
    const OfflineStoreOptions& options) {
  storage::ConnectionOptions co;
  co.synchronous_full = options.synchronous_full;
  auto db = storage::Connection::open(options.path, co);
  if (!db) {
    return db.error();
  }
  if (auto migrated = storage::migrate(**db, offlineMigrations()); !migrated) {
    return migrated.error();
  }
  auto loaded = loadAll(**db);
  if (!loaded) {
    return loaded.error();
  }
  storage::StorageThread::Options so;
  so.max_batch = options.max_batch;
  so.max_delay_us = options.max_delay_us;
  auto writer = std::make_unique<storage::StorageThread>(std::move(*db), so);
  return std::unique_ptr<OfflineStore>(new OfflineStore(std::move(writer), std::move(*loaded)));
}

OfflineStore::~OfflineStore() { writer_.reset(); }

std::vector<StoredMessage> OfflineStore::takeLoaded(
    const std::function<bool(std::string_view aor)>& mine) {
  std::lock_guard lock(loaded_mutex_);
  std::vector<StoredMessage> out;
  auto keep = std::stable_partition(loaded_.begin(), loaded_.end(),
                                    [&](const StoredMessage& m) { return !mine(m.recipient); });
  std::move(keep, loaded_.end(), std::back_inserter(out));
  loaded_.erase(keep, loaded_.end());
  return out;
}

void OfflineStore::insert(StoredMessage message, storage::Poster post,
                          std::function<void(bool ok, int64_t id)> done) {
  auto row = std::make_shared<StoredMessage>(std::move(message));
  auto id = std::make_shared<int64_t>(0);
  storage::StorageThread::Write write = [row, id](storage::Connection& db) {
    storage::Statement* insert = db.prepare(kInsert);
    if (insert == nullptr) {
      return false;
    }
    insert->bindText(1, row->recipient)
        .bindText(2, row->from)
        .bindText(3, row->to)
        .bindText(4, row->content_type)
        .bindText(5, row->body)
        .bindInt(6, row->received_at);
    if (!insert->run()) {
      return false;
    }
    *id = sqlite3_last_insert_rowid(db.raw());
    return true;
  };
  writer_->submit(std::move(write), std::move(post),
                  [id, done = std::move(done)](bool ok) { done(ok, ok ? *id : 0); });
}

void OfflineStore::remove(int64_t id, storage::Poster post, std::function<void(bool ok)> done) {
  storage::StorageThread::Write write = [id](storage::Connection& db) {
    storage::Statement* del = db.prepare(kDelete);
    return del != nullptr && del->bindInt(1, id).run();
  };
  writer_->submit(std::move(write), std::move(post), std::move(done));
}

}  // namespace core::im
