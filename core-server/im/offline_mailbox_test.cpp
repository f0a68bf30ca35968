// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/offline_mailbox.h"

#include <doctest/doctest.h>

#include "core-server/storage/storage_testing.h"

namespace core::im {
namespace {

using storage::testing::TempDir;
using storage::testing::TestLoop;

StoredMessage message(std::string to, std::string text, int64_t at = 1000) {
  StoredMessage m;
  m.recipient = std::move(to);
  m.from = "<sip:alice@example.test>;tag=a1";
  m.to = "<sip:" + m.recipient + ">";
  m.content_type = "text/plain";
  m.body = std::move(text);
  m.received_at = at;
  return m;
}

// A recipient whose endpoint is up or down, recording what reached it; answers
// are held until the test releases them, like a network would.
struct FakeEndpoint {
  bool online = false;
  std::vector<std::string> received;
  std::vector<std::function<void(bool)>> pending;

  OfflineMailbox::Deliver deliver() {
    return [this](const StoredMessage& m, std::function<void(bool)> done) {
      if (!online) {
        done(false);
        return;
      }
      received.push_back(m.body);
      pending.push_back(std::move(done));
    };
  }
  // Answers what is out now (not what those answers send next).
  void answerAll(bool ok) {
    std::vector<std::function<void(bool)>> now = std::move(pending);
    pending.clear();
    for (auto& done : now) {
      done(ok);
    }
  }
};

struct Fixture {
  TempDir dir;
  TestLoop loop;
  std::unique_ptr<OfflineStore> store;
  FakeEndpoint dave;
  std::unique_ptr<OfflineMailbox> box;

  explicit Fixture(MailboxLimits limits = {}) {
    auto opened = OfflineStore::open({.path = dir.file("im.db")});
    REQUIRE(opened);
    store = std::move(*opened);
    box = std::make_unique<OfflineMailbox>(*store, loop.poster(), limits, dave.deliver());
  }
  // Stores and waits for the commit; returns whether the commit was reported.
  bool put(const std::string& text, int64_t at = 1000) {
    bool committed = false;
    Admission a =
        box->store(message("dave@example.test", text, at), [&](bool ok) { committed = ok; });
    REQUIRE(a == Admission::Accepted);
    return loop.runUntil([&] { return committed; });
  }
  size_t onDisk() {
    store->flush();
    auto opened = OfflineStore::open({.path = dir.file("im.db")});
    REQUIRE(opened);
    return (*opened)->takeLoaded([](std::string_view) { return true; }).size();
  }
};

TEST_CASE("mailbox: the sender hears back only after the commit, and it is on disk") {
  Fixture f;
  bool committed = false;
  REQUIRE(f.box->store(message("dave@example.test", "hi"), [&](bool ok) { committed = ok; }) ==
          Admission::Accepted);
  CHECK_FALSE(committed);  // nothing is reported before the storage thread committed
  CHECK(f.box->hasBacklog("dave@example.test"));
  REQUIRE(f.loop.runUntil([&] { return committed; }));
  CHECK(f.onDisk() == 1);
}

TEST_CASE("mailbox: delivered in order, one at a time, deleted only after a 2xx") {
  Fixture f;
  REQUIRE(f.put("1"));
  REQUIRE(f.put("2"));
  REQUIRE(f.put("3"));
  f.dave.online = true;
  f.box->kick("dave@example.test");
  REQUIRE(f.dave.received == std::vector<std::string>{"1"});  // the next waits for this answer
  CHECK(f.onDisk() == 3);
  f.dave.answerAll(false);  // refused: kept, not resent until the next kick
  CHECK(f.dave.received.size() == 1);
  CHECK(f.box->queued("dave@example.test") == 3);
  f.box->kick("dave@example.test");
  CHECK(f.dave.received == std::vector<std::string>{"1", "1"});
  f.dave.answerAll(true);
  CHECK(f.dave.received == std::vector<std::string>{"1", "1", "2"});
  f.dave.answerAll(true);
  f.dave.answerAll(true);
  CHECK(f.dave.received == std::vector<std::string>{"1", "1", "2", "3"});
  CHECK_FALSE(f.box->hasBacklog("dave@example.test"));
  CHECK(f.onDisk() == 0);
  f.box->kick("dave@example.test");  // nothing left: exactly once
  CHECK(f.dave.received.size() == 4);
}

TEST_CASE("mailbox: a message committed while the user is online queues behind the rest") {
  Fixture f;
  REQUIRE(f.put("old"));
  f.dave.online = true;
  f.box->kick("dave@example.test");
  REQUIRE(f.put("new"));  // committed while "old" is out for delivery
  CHECK(f.dave.received == std::vector<std::string>{"old"});
  f.dave.answerAll(true);
  CHECK(f.dave.received == std::vector<std::string>{"old", "new"});
}

TEST_CASE("mailbox: quotas by count and by bytes") {
  Fixture f({.max_messages = 2, .max_bytes = 10, .max_age_s = 100});
  REQUIRE(f.put("12345"));
  CHECK(f.box->store(message("dave@example.test", "123456"), [](bool) {}) ==
        Admission::TooManyBytes);
  REQUIRE(f.put("123"));
  CHECK(f.box->store(message("dave@example.test", "1"), [](bool) {}) == Admission::TooManyMessages);
  CHECK(f.box->store(message("erin@example.test", "1"), [](bool) {}) == Admission::Accepted);
}

TEST_CASE("mailbox: expiry drops old messages from memory and disk") {
  Fixture f({.max_messages = 10, .max_bytes = 1000, .max_age_s = 100});
  REQUIRE(f.put("old", 1000));
  REQUIRE(f.put("young", 1050));
  CHECK(f.box->expire(1099) == 0);
  CHECK(f.box->expire(1100) == 1);
  CHECK(f.box->queued("dave@example.test") == 1);
  CHECK(f.onDisk() == 1);
  f.dave.online = true;
  f.box->kick("dave@example.test");
  CHECK(f.dave.received == std::vector<std::string>{"young"});
}

TEST_CASE("mailbox: loaded messages are delivered after a restart") {
  Fixture f;
  REQUIRE(f.put("before restart"));
  f.store->flush();
  auto reopened = OfflineStore::open({.path = f.dir.file("im.db")});
  REQUIRE(reopened);
  FakeEndpoint dave;
  dave.online = true;
  OfflineMailbox box(**reopened, f.loop.poster(), {}, dave.deliver());
  box.load((*reopened)->takeLoaded([](std::string_view) { return true; }));
  box.kick("dave@example.test");
  CHECK(dave.received == std::vector<std::string>{"before restart"});
}

}  // namespace
}  // namespace core::im
