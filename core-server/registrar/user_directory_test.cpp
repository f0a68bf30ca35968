// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/user_directory.h"

#include <doctest/doctest.h>

namespace core::registrar {
namespace {

storage::UserRecord user(std::string aor, std::string realm, std::string ha1) {
  return storage::UserRecord{std::move(aor), std::move(realm), std::move(ha1), "", ""};
}

TEST_CASE("a username is either the full AOR or its user part") {
  UserDirectory dir(UserTable::build({user("alice@example.test", "example.test", "a1")}, {}));
  REQUIRE(dir.lookup("alice", "example.test", "example.test") != nullptr);
  CHECK(dir.lookup("alice", "example.test", "example.test")->ha1_md5 == "a1");
  CHECK(dir.lookup("alice@example.test", "example.test", "example.test") != nullptr);
  CHECK(dir.lookup("Alice@Example.TEST", "example.test", "example.test") != nullptr);
  CHECK(dir.lookup("bob", "example.test", "example.test") == nullptr);
  CHECK(dir.lookup("", "example.test", "example.test") == nullptr);
}

TEST_CASE("the realm must match the user's realm") {
  UserDirectory dir(UserTable::build(
      {user("alice@example.test", "example.test", "a1"), user("carol@example.test", "", "c1")},
      {}));
  CHECK(dir.lookup("alice", "other-realm", "example.test") == nullptr);
  // An empty stored realm means the server's realm: any realm we check with.
  CHECK(dir.lookup("carol", "example.test", "example.test") != nullptr);
}

TEST_CASE("a user part is completed with the claimed domain, then the realm") {
  UserDirectory dir(UserTable::build({user("dave@corp.test", "corp.test", "d1")}, {}));
  CHECK(dir.lookup("dave", "corp.test", "corp.test") != nullptr);
  CHECK(dir.lookup("dave", "corp.test", "elsewhere.test") != nullptr);  // via the realm
  CHECK(dir.lookup("dave", "x.test", "x.test") == nullptr);
}

TEST_CASE("static users override stored ones and snapshots swap whole") {
  auto first = UserTable::build({user("alice@example.test", "example.test", "stored")},
                                {user("Alice@example.test", "example.test", "static")});
  CHECK(first->size() == 1);
  UserDirectory dir(first);
  CHECK(dir.lookup("alice", "example.test", "example.test")->ha1_md5 == "static");
  dir.swap(UserTable::build({}, {}));
  CHECK(dir.size() == 0);
  CHECK(dir.lookup("alice", "example.test", "example.test") == nullptr);
  CHECK(first->find("alice@example.test") != nullptr);  // the old snapshot is untouched
}

}  // namespace
}  // namespace core::registrar
