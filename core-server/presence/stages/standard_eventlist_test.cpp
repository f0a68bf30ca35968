// SPDX-License-Identifier: Apache-2.0
// RFC 4662 list subscriptions for standard clients over two simulated shards:
// full RLMI + PIDF first, partial documents per member change, per-member
// authorization, refresh, expiry.
#include "core-server/presence/stages/standard_eventlist.h"

#include <doctest/doctest.h>

#include <deque>

#include "core-server/presence/roaming/multipart.h"
#include "core-server/presence/service/service_testing.h"

namespace core::presence {
namespace {

using roaming::InstanceState;
using testing::pidf;
using testing::publishOf;
using testing::RecordingSink;

struct Shard;

// Two shards on one thread: bob lives on shard 1, everyone else on shard 0;
// posts to the other shard wait in a queue until the test delivers them.
struct TwoShards {
  std::vector<Shard*> shards;
  std::deque<std::pair<unsigned, std::function<void(PresenceService&, StandardEventList*)>>> posted;
  void deliver();
};

struct Shard final : MemberShards {
  Shard(TwoShards& all, unsigned id, proxy::ManualClock& clock)
      : all_(all),
        id_(id),
        service(clock, PresenceOptions{}, presence_sink),
        lists(service, list_sink, clock, *this, "confab.example.test") {}
  unsigned here() const override { return id_; }
  unsigned ownerOf(std::string_view aor) const override { return aor.starts_with("bob@") ? 1 : 0; }
  void run(unsigned shard,
           std::function<void(PresenceService&, StandardEventList*)> task) override {
    if (shard == id_) {
      task(service, &lists);
    } else {
      all_.posted.emplace_back(shard, std::move(task));
    }
  }
  TwoShards& all_;
  unsigned id_;
  RecordingSink presence_sink;
  RecordingSink list_sink;
  PresenceService service;
  StandardEventList lists;
};

void TwoShards::deliver() {
  while (!posted.empty()) {
    auto [shard, task] = std::move(posted.front());
    posted.pop_front();
    task(shards[shard]->service, &shards[shard]->lists);
  }
}

struct ListFixture {
  proxy::ManualClock clock;
  TwoShards all;
  Shard home{all, 0, clock};
  Shard other{all, 1, clock};
  roaming::ContactList alice_list;

  ListFixture() {
    all.shards = {&home, &other};
    for (const char* uri :
         {"sip:bob@example.test", "sip:carol@example.test", "sip:dave@example.test"}) {
      roaming::Contact c;
      c.uri = uri;
      REQUIRE(alice_list.setContact(c, roaming::ContactListLimits{}));
    }
    auto lists = [this](std::string_view aor) -> const roaming::ContactList* {
      return aor == "alice@example.test" ? &alice_list : nullptr;
    };
    home.lists.setContactLists(lists);
    other.lists.setContactLists(lists);
  }

  SubscriptionId subscribe(std::optional<uint32_t> expires = 600) {
    DialogState d;
    d.call_id = "list-call";
    d.remote_tag = "atag";
    d.remote_target = "sip:alice@192.0.2.9:5060";
    SubscribeResult r = home.lists.subscribe("alice@example.test",
                                             "sip:alice@example.test;list=buddies", "", d, expires);
    REQUIRE(r.status == 200);
    home.lists.sendOwedNotify(r.id);
    return r.id;
  }

  // The last list NOTIFY's RLMI and parts.
  std::pair<roaming::RlmiList, std::vector<roaming::MimePart>> last() {
    REQUIRE(!home.list_sink.sent.empty());
    const auto& n = home.list_sink.sent.back();
    auto parts = roaming::parseMultipart(n.content_type, *n.body);
    REQUIRE(parts);
    REQUIRE(!parts->empty());
    CHECK((*parts)[0].content_type.starts_with("application/rlmi+xml"));
    auto rlmi = roaming::parseRlmi((*parts)[0].body, XmlLimits{});
    REQUIRE(rlmi);
    return {*rlmi, *parts};
  }
};

const roaming::RlmiResource* resource(const roaming::RlmiList& list, std::string_view uri) {
  for (const auto& r : list.resources) {
    if (r.uri == uri) {
      return &r;
    }
  }
  return nullptr;
}

TEST_CASE("eventlist: full state first, member shards answer, then partial documents") {
  ListFixture f;
  f.home.service.setRule("dave@example.test",
                         WatcherRule{false, "alice@example.test", Decision::Block});
  REQUIRE(f.home.service
              .publish(publishOf("carol@example.test",
                                 pidf("sip:carol@example.test", true, "busy", "Lunch")))
              .status == 200);
  f.subscribe();
  auto [first, first_parts] = f.last();
  CHECK(first.full_state);
  CHECK(first.version == 0);
  CHECK(first.uri == "sip:alice@example.test;list=buddies");
  REQUIRE(first.resources.size() == 3);
  // bob is on the other shard: pending until it answers; carol and dave at once.
  CHECK(resource(first, "sip:bob@example.test")->instances[0].state == InstanceState::Pending);
  CHECK(resource(first, "sip:carol@example.test")->instances[0].state == InstanceState::Active);
  CHECK(first_parts.size() == 3);  // RLMI + carol + dave
  bool carol_busy = false;
  for (const auto& part : first_parts) {
    carol_busy = carol_busy || (part.body.find("sip:carol@example.test") != std::string::npos &&
                                part.body.find("busy") != std::string::npos &&
                                part.body.find("Lunch") != std::string::npos);
    if (part.content_type.starts_with("application/pidf+xml") &&
        part.body.find("sip:dave@example.test") != std::string::npos) {
      CHECK(part.body.find("<basic>closed</basic>") != std::string::npos);  // blocked: offline
    }
  }
  CHECK(carol_busy);

  f.all.deliver();  // bob's shard starts watching, answers, the answer comes home
  f.all.deliver();
  auto [second, second_parts] = f.last();
  CHECK_FALSE(second.full_state);
  CHECK(second.version == 1);
  REQUIRE(second.resources.size() == 1);
  CHECK(second.resources[0].uri == "sip:bob@example.test");
  CHECK(second.resources[0].instances[0].state == InstanceState::Active);
  CHECK(second_parts.size() == 2);

  // bob publishes on his shard: one partial NOTIFY on alice's.
  const size_t sent = f.home.list_sink.sent.size();
  REQUIRE(f.other.service
              .publish(publishOf("bob@example.test", pidf("sip:bob@example.test", true, "away")))
              .status == 200);
  f.all.deliver();
  REQUIRE(f.home.list_sink.sent.size() == sent + 1);
  auto [third, third_parts] = f.last();
  CHECK(third.version == 2);
  REQUIRE(third_parts.size() == 2);
  CHECK(third_parts[1].body.find("away") != std::string::npos);
}

TEST_CASE("eventlist: denied and pending members carry no presence") {
  ListFixture f;
  f.home.service.setRule("carol@example.test",
                         WatcherRule{false, "alice@example.test", Decision::Reject});
  f.home.service.setRule("dave@example.test", WatcherRule{true, "example.test", Decision::Confirm});
  f.subscribe();
  auto [list, parts] = f.last();
  const auto* carol = resource(list, "sip:carol@example.test");
  REQUIRE(carol != nullptr);
  CHECK(carol->instances[0].state == InstanceState::Terminated);
  CHECK(carol->instances[0].reason == "rejected");
  CHECK(resource(list, "sip:dave@example.test")->instances[0].state == InstanceState::Pending);
  CHECK(parts.size() == 1);  // RLMI only
}

TEST_CASE("eventlist: refresh, unsubscribe, expiry and errors") {
  ListFixture f;
  SubscriptionId id = f.subscribe(120);
  f.all.deliver();
  f.all.deliver();
  SubscribeResult again = f.home.lists.refresh(id, 120, 2, {}, {});
  REQUIRE(again.status == 200);
  f.home.lists.sendOwedNotify(id);
  CHECK(f.last().first.full_state);
  f.all.deliver();  // bob re-watched
  f.all.deliver();
  f.clock.advanceMs(120'000);
  f.home.lists.expire();
  CHECK(f.home.list_sink.sent.back().state == "terminated;reason=timeout");
  CHECK(f.home.lists.size() == 0);
  f.all.deliver();  // bob's local watcher removed on his shard
  const size_t sent = f.home.list_sink.sent.size();
  REQUIRE(
      f.other.service.publish(publishOf("bob@example.test", pidf("sip:bob@example.test", false)))
          .status == 200);
  f.all.deliver();
  CHECK(f.home.list_sink.sent.size() == sent);
  CHECK(f.home.lists.refresh(id, 120, 3, {}, {}).status == 481);

  DialogState d;
  d.call_id = "x";
  d.remote_tag = "y";
  CHECK(f.home.lists.subscribe("zoe@example.test", "sip:zoe@example.test;list=a", "", d, 600)
            .status == 404);
  CHECK(f.home.lists.subscribe("alice@example.test", "sip:alice@example.test;list=a", "", d, 5)
            .status == 423);
}

}  // namespace
}  // namespace core::presence
