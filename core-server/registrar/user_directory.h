// SPDX-License-Identifier: Apache-2.0
// The users the authenticator knows: an immutable UserTable (aor -> HA1s)
// built on the main thread from Store::loadUsers() plus the static users of the
// config, and a per-shard UserDirectory holding a shared_ptr to the current
// table. After Store::changedExternally() the lead builds a new table and posts
// it to every shard, which swaps its pointer; nothing is ever mutated in place.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core-server/storage/store.h"

namespace core::registrar {

class UserTable {
 public:
  // Keys are the lowercased AORs; the HA1s are lowercased too (the digest hashes
  // them as text). A static user replaces a stored user with the same AOR: the
  // config file is the operator's last word.
  static std::shared_ptr<const UserTable> build(const std::vector<storage::UserRecord>& stored,
                                                const std::vector<storage::UserRecord>& statics);

  const storage::UserRecord* find(std::string_view aor) const;  // lowercased AOR
  size_t size() const { return users_.size(); }

 private:
  // Lookups by string_view, so finding a user copies no key.
  struct AorHash {
    using is_transparent = void;
    size_t operator()(std::string_view aor) const { return std::hash<std::string_view>{}(aor); }
  };
  std::unordered_map<std::string, storage::UserRecord, AorHash, std::equal_to<>> users_;
};

class UserDirectory {
 public:
  explicit UserDirectory(std::shared_ptr<const UserTable> table);

  // Swaps in a new snapshot (called on this shard's thread by the posted task).
  // shared_ptr because every shard holds the same immutable table.
  void swap(std::shared_ptr<const UserTable> table);

  // Finds the user a digest `username` names within `realm`. The username is
  // either a full AOR ("alice@example.test") or only its user part ("alice"),
  // which is completed with `domain` (the claimed AOR's domain), then with the
  // realm. The user's realm must equal `realm`; an empty stored realm means
  // "the server's realm". nullptr when nobody matches.
  const storage::UserRecord* lookup(std::string_view username, std::string_view realm,
                                    std::string_view domain) const;

  // The user with this canonical (lowercase) AOR, whatever its realm; nullptr if none.
  const storage::UserRecord* findAor(std::string_view aor) const {
    return table_ ? table_->find(aor) : nullptr;
  }

  size_t size() const { return table_ ? table_->size() : 0; }

 private:
  std::shared_ptr<const UserTable> table_;
};

}  // namespace core::registrar
