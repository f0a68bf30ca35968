// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/user_directory.h"

#include <algorithm>
#include <utility>

#include "proxy/base/strings.h"

namespace core::registrar {

std::shared_ptr<const UserTable> UserTable::build(const std::vector<storage::UserRecord>& stored,
                                                  const std::vector<storage::UserRecord>& statics) {
  auto table = std::make_shared<UserTable>();
  for (const auto* list : {&stored, &statics}) {
    for (const storage::UserRecord& user : *list) {
      storage::UserRecord copy = user;
      copy.aor = proxy::toLower(user.aor);
      copy.ha1_md5 = proxy::toLower(user.ha1_md5);
      copy.ha1_sha256 = proxy::toLower(user.ha1_sha256);
      std::string key = copy.aor;
      table->users_.insert_or_assign(std::move(key), std::move(copy));
    }
  }
  return table;
}

const storage::UserRecord* UserTable::find(std::string_view aor) const {
  auto it = users_.find(aor);
  return it == users_.end() ? nullptr : &it->second;
}

UserDirectory::UserDirectory(std::shared_ptr<const UserTable> table) : table_(std::move(table)) {}

void UserDirectory::swap(std::shared_ptr<const UserTable> table) { table_ = std::move(table); }

const storage::UserRecord* UserDirectory::lookup(std::string_view username, std::string_view realm,
                                                 std::string_view domain) const {
  if (!table_ || username.empty()) {
    return nullptr;
  }
  const storage::UserRecord* user = nullptr;
  // One key buffer per thread, reused: a lookup per authenticated request then
  // allocates nothing once the buffer has grown to the longest "user@host".
  thread_local std::string key;
  key.clear();
  for (char c : username) {
    key += proxy::asciiLower(c);
  }
  if (username.find('@') != std::string_view::npos) {
    user = table_->find(key);
  } else {
    const size_t name_length = key.size();
    for (std::string_view host : {domain, realm}) {
      if (!host.empty()) {
        key.resize(name_length);  // "user@host", built in place
        key += '@';
        for (char c : host) {
          key += proxy::asciiLower(c);
        }
        user = table_->find(key);
      }
      if (user != nullptr) {
        break;
      }
    }
  }
  if (user == nullptr || (!user->realm.empty() && user->realm != realm)) {
    return nullptr;
  }
  return user;
}

}  // namespace core::registrar
