// SPDX-License-Identifier: Apache-2.0
// Durable state behind one asynchronous interface. The default implementation
// runs SQLite (WAL) on its own thread with group commit; the loop threads never
// wait on disk. A completion callback runs on the thread that issued the call
// (it is posted back through the `Poster` given with the call), and only after
// the data is committed: a reply that promises durability is sent from there.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace core::storage {

// Runs a task on the caller's thread later (e.g. Shard::post of the calling shard).
using Poster = std::function<void(std::function<void()>)>;

struct UserRecord {
  std::string aor;  // "alice@example.test", lowercase
  std::string realm;
  std::string ha1_md5;     // hex H(user:realm:password) with MD5
  std::string ha1_sha256;  // hex with SHA-256
  std::string nt_hash;     // hex MD4(UTF-16LE(password)) for NTLM ([MS-NLMP] NTOWF); "" unknown
};

struct BindingRecord {
  std::string aor;       // owner AOR
  std::string contact;   // the Contact URI as registered
  std::string instance;  // +sip.instance, or ""
  std::string flow;      // transport Flow::token() it registered over
  std::string call_id;
  uint32_t cseq = 0;
  int64_t expires_at = 0;  // unix seconds
  int32_t q1000 = 1000;    // q-value * 1000
  std::string user_agent;
  std::string params;  // remaining contact params, raw (e.g. methods=..., +sip.* features)
};

// Service state that must outlive a restart (presence publications and subscriptions,
// authorization rules, contact lists): a value the owning service serialises itself,
// unique by (kind, key) and owned by `aor`, so each shard can take its own at start-up.
struct StateRecord {
  std::string kind;        // e.g. "presence.subscription"
  std::string key;         // unique within the kind
  std::string aor;         // the AOR whose shard owns it
  std::string value;       // opaque to the store
  int64_t expires_at = 0;  // unix seconds; 0 = until deleted
};

class Store {
 public:
  virtual ~Store() = default;

  // Users (read by the authenticator into memory; changed by confabctl). The synchronous
  // calls log a storage error and then return empty or false.
  virtual std::vector<UserRecord> loadUsers() = 0;      // synchronous: start-up and reload only
  virtual bool putUser(const UserRecord& user) = 0;     // synchronous, confabctl only; upsert
  virtual bool deleteUser(const std::string& aor) = 0;  // synchronous: true if a user was removed
  // Cheap check whether another process (confabctl) changed the users since the last
  // call or the last loadUsers(); this store's own binding writes never count. Poll ~1/s.
  virtual bool changedExternally() = 0;

  // Bindings. Writes are queued and group-committed; `done(ok)` runs via `post`
  // after the commit.
  virtual std::vector<BindingRecord> loadBindings() = 0;  // synchronous: start-up only
  virtual void saveBinding(BindingRecord binding, Poster post, std::function<void(bool)> done) = 0;
  virtual void deleteBinding(std::string aor, std::string contact, Poster post,
                             std::function<void(bool)> done) = 0;
  virtual void deleteExpiredBindings(int64_t now_unix) = 0;  // fire and forget

  // Service state. Writes are queued and group-committed like binding writes.
  // loadStates returns the records of `kind` that have not expired at `now_unix`.
  virtual std::vector<StateRecord> loadStates(const std::string& kind, int64_t now_unix) = 0;
  virtual void putState(StateRecord record, Poster post, std::function<void(bool)> done) = 0;
  virtual void deleteState(std::string kind, std::string key, Poster post,
                           std::function<void(bool)> done) = 0;
  virtual void deleteExpiredStates(int64_t now_unix) = 0;  // fire and forget

  // Blocks until every write queued before the call has committed (or failed); called at
  // shutdown. Completions of those writes are posted by then but may not have run yet.
  virtual void flush() = 0;
};

struct SqliteOptions {
  std::string path = "var/confab.db";
  uint32_t max_batch = 512;      // writes per transaction (group commit)
  uint32_t max_delay_us = 2000;  // how long a write may wait for others to join its batch
  // WAL with synchronous=NORMAL survives a process crash but may lose the last commits on
  // power loss or an OS crash; FULL syncs the WAL on every commit and survives those too.
  bool synchronous_full = false;
  uint32_t busy_timeout_ms = 5000;        // confabctl and the server share the file
  uint32_t writer_cache_kib = 32 * 1024;  // the writer's page cache: keeps the bindings hot
};

// Opens (creating and migrating as needed) the SQLite store; nullptr + message on failure.
std::unique_ptr<Store> openSqliteStore(const SqliteOptions& options, std::string* error);
// A store that keeps everything in memory (tests).
std::unique_ptr<Store> openMemoryStore();

}  // namespace core::storage
