// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/service/stored_presence_state.h"

#include <doctest/doctest.h>

#include "core-server/presence/service/rules_version.h"
#include "proxy/base/clock.h"

using namespace core::presence;

TEST_CASE("stored presence state: records round-trip through the store, expired ones stay out") {
  auto store = core::storage::openMemoryStore();
  proxy::ManualClock clock;  // unix time 1,700,000,000
  const int64_t now = clock.unixSeconds();
  StoredPresenceState state(*store, clock);
  state.save({RecordKind::Publication, "etag1", "alice@x", "{}", now + 1000});
  state.save({RecordKind::Subscription, "dlg1", "alice@x", "{\"a\":1}", 0});
  state.save({RecordKind::Rule, "alice@x block", "alice@x", "{}", 0});
  state.save({RecordKind::Publication, "old", "bob@x", "{}", now});  // already expired
  state.erase(RecordKind::Rule, "alice@x block");

  auto records = state.load();
  REQUIRE(records.size() == 2);
  CHECK(records[0] ==
        PresenceRecord{RecordKind::Publication, "etag1", "alice@x", "{}", now + 1000});
  CHECK(records[1].kind == RecordKind::Subscription);
  CHECK(records[1].value == "{\"a\":1}");
}

TEST_CASE("stored presence state: kind names are stable") {
  CHECK(StoredPresenceState::kindName(RecordKind::Publication) == "presence.publication");
  CHECK(StoredPresenceState::kindOf("presence.subscription") == RecordKind::Subscription);
  CHECK_FALSE(StoredPresenceState::kindOf("presence.nonsense").has_value());
}

TEST_CASE("stored presence state: the stages' dialog kinds have stored names and round-trip") {
  auto store = core::storage::openMemoryStore();
  proxy::ManualClock clock;
  StoredPresenceState state(*store, clock);
  for (RecordKind kind :
       {RecordKind::Winfo, RecordKind::EventList, RecordKind::MsSelf, RecordKind::MsBatch}) {
    const std::string name = StoredPresenceState::kindName(kind);
    CHECK(name.starts_with("presence."));
    CHECK(StoredPresenceState::kindOf(name) == kind);
    state.save({kind, "dlg-" + name, "alice@x", "{}", clock.unixSeconds() + 60});
  }
  store->flush();
  CHECK(state.load().size() == 4);
}

TEST_CASE("rules version: one row that moves with every confabctl change") {
  auto store = core::storage::openMemoryStore();
  CHECK(rulesVersion(*store).empty());
  bumpRulesVersion(*store);
  store->flush();
  const std::string first = rulesVersion(*store);
  CHECK_FALSE(first.empty());
  CHECK(first.find("\"counter\":1") != std::string::npos);
  bumpRulesVersion(*store);
  store->flush();
  const std::string second = rulesVersion(*store);
  CHECK(second != first);
  CHECK(second.find("\"counter\":2") != std::string::npos);
  // Never loaded as a presence record.
  StoredPresenceState state(*store, proxy::SystemClock::instance());
  CHECK(state.load().empty());
}
