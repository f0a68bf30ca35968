// SPDX-License-Identifier: Apache-2.0
// Store kept in memory for tests. It behaves like SqliteStore from the caller's side:
// writes apply at once, but completions still arrive later through `post`, so code
// written against it keeps working on the real store. Thread-safe by one lock.
#include <map>
#include <mutex>
#include <utility>

#include "core-server/storage/store.h"

namespace core::storage {
namespace {

class MemoryStore final : public Store {
 public:
  std::vector<UserRecord> loadUsers() override {
    std::lock_guard lock(mutex_);
    std::vector<UserRecord> users;
    for (const auto& [aor, user] : users_) {
      users.push_back(user);
    }
    return users;
  }

  bool putUser(const UserRecord& user) override {
    std::lock_guard lock(mutex_);
    users_[user.aor] = user;
    return true;
  }

  bool deleteUser(const std::string& aor) override {
    std::lock_guard lock(mutex_);
    return users_.erase(aor) > 0;
  }

  bool changedExternally() override { return false; }  // no other process shares it

  std::vector<BindingRecord> loadBindings() override {
    std::lock_guard lock(mutex_);
    std::vector<BindingRecord> bindings;
    for (const auto& [key, binding] : bindings_) {
      bindings.push_back(binding);
    }
    return bindings;
  }

  void saveBinding(BindingRecord binding, Poster post, std::function<void(bool)> done) override {
    {
      std::lock_guard lock(mutex_);
      Key key{binding.aor, binding.contact};
      bindings_[std::move(key)] = std::move(binding);
    }
    complete(post, std::move(done));
  }

  void deleteBinding(std::string aor, std::string contact, Poster post,
                     std::function<void(bool)> done) override {
    {
      std::lock_guard lock(mutex_);
      bindings_.erase(Key{std::move(aor), std::move(contact)});
    }
    complete(post, std::move(done));
  }

  void deleteExpiredBindings(int64_t now_unix) override {
    std::lock_guard lock(mutex_);
    std::erase_if(bindings_,
                  [&](const auto& entry) { return entry.second.expires_at <= now_unix; });
  }

  std::vector<StateRecord> loadStates(const std::string& kind, int64_t now_unix) override {
    std::lock_guard lock(mutex_);
    std::vector<StateRecord> records;
    for (const auto& [key, record] : states_) {
      if (key.first == kind && (record.expires_at == 0 || record.expires_at > now_unix)) {
        records.push_back(record);
      }
    }
    return records;
  }

  void putState(StateRecord record, Poster post, std::function<void(bool)> done) override {
    {
      std::lock_guard lock(mutex_);
      Key key{record.kind, record.key};
      states_[std::move(key)] = std::move(record);
    }
    complete(post, std::move(done));
  }

  void deleteState(std::string kind, std::string key, Poster post,
                   std::function<void(bool)> done) override {
    {
      std::lock_guard lock(mutex_);
      states_.erase(Key{std::move(kind), std::move(key)});
    }
    complete(post, std::move(done));
  }

  void deleteExpiredStates(int64_t now_unix) override {
    std::lock_guard lock(mutex_);
    std::erase_if(states_, [&](const auto& entry) {
      return entry.second.expires_at > 0 && entry.second.expires_at <= now_unix;
    });
  }

  void flush() override {}  // every write is already "committed"

 private:
  using Key = std::pair<std::string, std::string>;  // aor, contact: as the SQLite key

  static void complete(const Poster& post, std::function<void(bool)> done) {
    if (post && done) {
      post([done = std::move(done)] { done(true); });
    }
  }

  std::mutex mutex_;
  std::map<std::string, UserRecord> users_;
  std::map<Key, BindingRecord> bindings_;
  std::map<Key, StateRecord> states_;  // by kind, key
};

}  // namespace

std::unique_ptr<Store> openMemoryStore() { return std::make_unique<MemoryStore>(); }

}  // namespace core::storage
