// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/location_service.h"

#include <doctest/doctest.h>

#include "core-server/registrar/registrar_testing.h"

namespace core::registrar {
namespace {

using namespace testing;

Binding binding(std::string contact, int64_t expires_at, int32_t q1000 = 1000) {
  Binding b;
  b.contact = std::move(contact);
  b.expires_at = expires_at;
  b.q1000 = q1000;
  b.flow_token = testFlow().token();
  b.flow = testFlow();
  return b;
}

struct LocationFixture {
  proxy::ManualClock clock;
  FlakyStore store;
  LocationService location{clock, store};
  int64_t now() const { return clock.unixSeconds(); }
};

std::vector<std::string> contacts(const std::vector<const Binding*>& list) {
  std::vector<std::string> out;
  for (const Binding* b : list) {
    out.push_back(b->contact);
  }
  return out;
}

TEST_CASE("lookup orders by q, then the most recent registration first") {
  LocationFixture f;
  f.location.apply("alice@example.test", {}, {binding("sip:a@h", f.now() + 60, 500)});
  f.location.apply("alice@example.test", {}, {binding("sip:b@h", f.now() + 60, 1000)});
  f.location.apply("alice@example.test", {}, {binding("sip:c@h", f.now() + 60, 500)});
  CHECK(contacts(f.location.lookup("alice@example.test")) ==
        std::vector<std::string>{"sip:b@h", "sip:c@h", "sip:a@h"});
  CHECK(f.location.lookup("bob@example.test").empty());
  CHECK(f.location.size() == 3);
}

TEST_CASE("apply replaces by contact, removes, and notifies once per change") {
  LocationFixture f;
  std::vector<std::string> changes;
  f.location.on_change = [&](std::string_view aor) { changes.emplace_back(aor); };
  f.location.apply("alice@example.test", {},
                   {binding("sip:a@h", f.now() + 60), binding("sip:b@h", f.now() + 60)});
  CHECK(changes.size() == 1);
  Binding refreshed = binding("sip:a@h", f.now() + 120);
  f.location.apply("alice@example.test", {"sip:b@h"}, {refreshed});
  CHECK(changes.size() == 2);
  auto list = f.location.lookup("alice@example.test");
  REQUIRE(list.size() == 1);
  CHECK(list[0]->expires_at == f.now() + 120);
  CHECK(f.location.size() == 1);
  f.location.apply("alice@example.test", {"sip:a@h"}, {});
  CHECK(f.location.size() == 0);
  CHECK(f.location.lookup("alice@example.test").empty());
}

TEST_CASE("expiry is exact to the second, in lookups and in the sweep") {
  LocationFixture f;
  std::vector<std::string> changes;
  f.location.on_change = [&](std::string_view aor) { changes.emplace_back(aor); };
  f.location.apply("alice@example.test", {},
                   {binding("sip:a@h", f.now() + 60), binding("sip:b@h", f.now() + 61)});
  changes.clear();
  f.clock.advanceMs(59'999);
  CHECK(f.location.lookup("alice@example.test").size() == 2);
  CHECK(f.location.expire(f.now()) == 0);
  CHECK(f.store.expired_sweeps == 0);
  f.clock.advanceMs(1);  // now == expires_at of a: gone
  CHECK(contacts(f.location.lookup("alice@example.test")) == std::vector<std::string>{"sip:b@h"});
  CHECK(f.location.size() == 2);  // not swept yet
  CHECK(f.location.expire(f.now()) == 1);
  CHECK(f.location.size() == 1);
  CHECK(f.store.expired_sweeps == 1);
  CHECK(changes == std::vector<std::string>{"alice@example.test"});
  f.clock.advanceMs(1'000);
  CHECK(f.location.expire(f.now()) == 1);
  CHECK(f.location.size() == 0);
}

TEST_CASE("the sweep deletes expired bindings from the store too") {
  LocationFixture f;
  Binding b = binding("sip:a@h", f.now() + 60);
  bool saved = false;
  f.store.saveBinding(
      b.toRecord("alice@example.test"), [](std::function<void()> t) { t(); },
      [&](bool ok) { saved = ok; });
  REQUIRE(saved);
  f.location.apply("alice@example.test", {}, {b});
  f.clock.advanceMs(60'000);
  f.location.expire(f.now());
  CHECK(f.store.loadBindings().empty());
}

TEST_CASE("load keeps live stored bindings, with their flow, and skips expired ones") {
  LocationFixture f;
  // Stored AORs are keyed lowercased, as every lookup asks.
  storage::BindingRecord live = binding("sip:a@h", f.now() + 30).toRecord("Alice@Example.TEST");
  live.flow = testFlow("192.0.2.77", 5070, proxy::transport::Protocol::Tcp).token();
  storage::BindingRecord dead = binding("sip:b@h", f.now()).toRecord("alice@example.test");
  f.location.load(live);
  f.location.load(dead);
  CHECK(f.location.size() == 1);
  auto list = f.location.lookup("alice@example.test");
  REQUIRE(list.size() == 1);
  REQUIRE(list[0]->flow.has_value());
  CHECK(list[0]->flow->protocol == proxy::transport::Protocol::Tcp);
  CHECK(list[0]->flow->remote.toString() == "192.0.2.77:5070");
}

TEST_CASE("binding records round-trip and q renders as RFC 3261 writes it") {
  Binding b = binding("sip:a@h;transport=tcp", 1234, 250);
  b.instance = "<urn:uuid:1>";
  b.call_id = "c";
  b.cseq = 9;
  b.user_agent = "UA";
  b.params = "methods=\"INVITE, MESSAGE\"";
  const storage::BindingRecord record = b.toRecord("alice@example.test");
  CHECK(record.aor == "alice@example.test");
  Binding back = Binding::fromRecord(record);
  CHECK(back.contact == b.contact);
  CHECK(back.instance == b.instance);
  CHECK(back.flow_token == b.flow_token);
  CHECK(back.flow.has_value());
  CHECK(back.cseq == 9);
  CHECK(back.q1000 == 250);
  CHECK(back.params == b.params);
  CHECK(formatQ(1000) == "1");
  CHECK(formatQ(500) == "0.5");
  CHECK(formatQ(125) == "0.125");
  CHECK(formatQ(10) == "0.01");
  CHECK(formatQ(0) == "0");
}

TEST_CASE("a closed connection takes its flow-bound bindings with it, and only those") {
  LocationFixture f;
  auto tcp = testFlow("192.0.2.10", 40000, proxy::transport::Protocol::Tcp);
  tcp.connection_id = 7;
  auto on = [&](std::string contact, std::string params = {}) {
    Binding b = binding(std::move(contact), f.now() + 600);
    b.flow = tcp;
    b.flow_token = tcp.token();
    b.params = std::move(params);
    return b;
  };
  f.location.apply("alice@example.test", {},
                   {on("sip:192.0.2.10:40000;transport=tcp;ms-opaque=d3470f2e1d"),
                    on("sip:alice@192.0.2.10:5060;transport=tcp"),     // may listen: kept
                    binding("sip:alice@192.0.2.11", f.now() + 600)});  // UDP: kept
  f.location.apply("bob@example.test", {},
                   {on("sip:bob@192.0.2.10:40000;transport=tcp", "methods=\"INVITE, BENOTIFY\"")});
  std::vector<std::string> changed;
  f.location.on_change = [&](std::string_view aor) { changed.emplace_back(aor); };

  CHECK(f.location.dropFlow("tcp/9/9/192.0.2.99:1") == 0);  // unknown connection
  CHECK(f.location.dropFlow(tcp.token()) == 2);
  CHECK(
      contacts(f.location.lookup("alice@example.test")) ==
      std::vector<std::string>{"sip:alice@192.0.2.11", "sip:alice@192.0.2.10:5060;transport=tcp"});
  CHECK(f.location.lookup("bob@example.test").empty());
  CHECK(f.store.deletes == 2);
  std::sort(changed.begin(), changed.end());
  CHECK(changed == std::vector<std::string>{"alice@example.test", "bob@example.test"});
  CHECK(f.location.dropFlow(tcp.token()) == 0);  // once
}

}  // namespace
}  // namespace core::registrar
