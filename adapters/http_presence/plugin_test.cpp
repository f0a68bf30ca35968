// SPDX-License-Identifier: Apache-2.0
// The built plugin (.so) loaded into the FakeHost and driven over loopback HTTP.
#include <doctest/doctest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "adapters/http_presence/webhooks.h"
#include "adapters/testing/fake_host.h"
#include "adapters/testing/http_test_client.h"

using adapters::testing::FakeHost;
using adapters::testing::httpRequest;
using adapters::testing::SseClient;
using adapters::testing::WebhookReceiver;
using adapters::testing::WsClient;
using namespace std::chrono_literals;

namespace {

const std::string kAuth = "Authorization: Bearer reader";

struct Running {
  explicit Running(const std::string& extra = "",
                   const std::string& rate = "{requests_per_second: 100, burst: 100}")
      : port_file("/tmp/confab_http_presence_test." + std::to_string(::getpid()) + "." +
                  std::to_string(++serial)),
        host("port: 0\nport_file: " + port_file + R"(
tokens:
  - {token: reader, scopes: [presence:read], users: ["@example.test"]}
  - {token: alice-only, scopes: [presence:read], users: [alice@example.test]}
  - {token: writer, scopes: [presence:write], users: ["*"]}
  - {token: slow, scopes: [presence:read], users: ["*"]}
cors_origins: ["https://mail.example.test"]
rate_limit_per_token: )" +
             rate + "\nlookup_timeout_ms: 1000\n" + extra) {
    for (const char* u : {"alice@example.test", "bob@example.test", "carol@example.test"}) {
      host.addUser(u);
    }
    host.addIdentity("bot@example.test");
    host.setPresence("alice@example.test", CONFAB_AVAIL_ONLINE);
    rc = host.startLibrary(CONFAB_HTTP_PRESENCE_PLUGIN);
    std::ifstream in(port_file);
    unsigned p = 0;
    in >> p;
    port = static_cast<uint16_t>(p);
  }
  ~Running() {
    host.stop();
    ::unlink(port_file.c_str());
  }
  static inline int serial = 0;
  std::string port_file;
  FakeHost host;
  int rc = -100;
  uint16_t port = 0;
};

nlohmann::json json(const std::string& s) { return nlohmann::json::parse(s, nullptr, false); }

// True once the plugin has the user's state with this sequence number.
bool knows(Running& r, const std::string& aor, uint64_t sequence) {
  auto res = httpRequest(r.port, "GET", "/v1/presence/" + aor, {kAuth});
  return res.status == 200 && json(res.body).value("sequenceNumber", uint64_t{0}) == sequence;
}

}  // namespace

TEST_CASE("plugin loads, listens and serves the example page") {
  Running r;
  REQUIRE(r.rc == CONFAB_OK);
  REQUIRE(r.port != 0);
  auto page = httpRequest(r.port, "GET", "/");
  CHECK(page.status == 200);
  CHECK(page.body.find("EventSource") != std::string::npos);
  CHECK(httpRequest(r.port, "GET", "/nothing").status == 404);
}

TEST_CASE("a bad config fails init cleanly") {
  FakeHost host("port: nope");
  CHECK(host.startLibrary(CONFAB_HTTP_PRESENCE_PLUGIN) == CONFAB_ERR_INVALID);
  host.stop();
  bool logged = false;
  for (const auto& l : host.logs()) {
    logged = logged || l.find("port") != std::string::npos;
  }
  CHECK(logged);
}

TEST_CASE("GET one user: presence JSON, 404 unknown, 401 and 403") {
  Running r;
  REQUIRE(r.port != 0);
  auto ok = httpRequest(r.port, "GET", "/v1/presence/alice@example.test", {kAuth});
  REQUIRE(ok.status == 200);
  auto j = json(ok.body);
  CHECK(j["id"] == "alice@example.test");
  CHECK(j["availability"] == "Available");
  CHECK(j["sequenceNumber"] == 1);
  CHECK(r.host.subscriptions().count("alice@example.test") == 1);

  r.host.setPresence("alice@example.test", CONFAB_AVAIL_BUSY, "on-the-phone", "call me later");
  REQUIRE(FakeHost::waitFor([&] {
    return json(httpRequest(r.port, "GET", "/v1/presence/sip:alice@example.test", {kAuth}).body)
               .value("sequenceNumber", 0) == 2;
  }));
  j = json(httpRequest(r.port, "GET", "/v1/presence/alice@example.test", {kAuth}).body);
  CHECK(j["availability"] == "Busy");
  CHECK(j["activity"] == "InACall");
  CHECK(j["statusMessage"] == "call me later");

  CHECK(httpRequest(r.port, "GET", "/v1/presence/nobody@example.test", {kAuth}).status == 404);
  CHECK(r.host.subscriptions().count("nobody@example.test") == 0);
  CHECK(httpRequest(r.port, "GET", "/v1/presence/not-an-aor", {kAuth}).status == 400);
  auto anon = httpRequest(r.port, "GET", "/v1/presence/alice@example.test");
  CHECK(anon.status == 401);
  CHECK(anon.headers.count("www-authenticate") == 1);
  CHECK(
      httpRequest(r.port, "GET", "/v1/presence/alice@example.test", {"Authorization: Bearer wrong"})
          .status == 401);
  CHECK(httpRequest(r.port, "GET", "/v1/presence/alice@example.test?access_token=reader").status ==
        200);
  CHECK(httpRequest(r.port, "GET", "/v1/presence/bob@example.test",
                    {"Authorization: Bearer alice-only"})
            .status == 403);
  CHECK(httpRequest(r.port, "GET", "/v1/presence/alice@example.test",
                    {"Authorization: Bearer writer"})
            .status == 403);
  CHECK(r.host.counter("requests") >= 8);
}

TEST_CASE("batch: entries per user with their own status") {
  Running r;
  REQUIRE(r.port != 0);
  auto res =
      httpRequest(r.port, "POST", "/v1/presence/batch", {kAuth, "Content-Type: application/json"},
                  R"({"users": ["alice@example.test", "bob@example.test",
                                       "ghost@example.test", "x@other.test", 7]})");
  REQUIRE(res.status == 200);
  auto j = json(res.body);
  REQUIRE(j.is_array());
  REQUIRE(j.size() == 5);
  CHECK(j[0]["status"] == 200);
  CHECK(j[0]["availability"] == "Available");
  CHECK(j[1]["status"] == 200);
  CHECK(j[1]["availability"] == "Offline");
  CHECK(j[2]["status"] == 404);
  CHECK(j[3]["status"] == 403);
  CHECK(j[4]["status"] == 400);
  CHECK(httpRequest(r.port, "POST", "/v1/presence/batch", {kAuth}, "{oops").status == 400);
  std::string many = R"({"users": [)";
  for (int i = 0; i < 101; ++i) {
    many += std::string(i ? "," : "") + "\"u" + std::to_string(i) + "@example.test\"";
  }
  CHECK(httpRequest(r.port, "POST", "/v1/presence/batch", {kAuth}, many + "]}").status == 413);
}

TEST_CASE("rate limit answers 429 with Retry-After") {
  Running r("", "{requests_per_second: 0.5, burst: 2}");
  REQUIRE(r.port != 0);
  const std::string path = "/v1/presence/alice@example.test";
  CHECK(httpRequest(r.port, "GET", path, {kAuth}).status == 200);
  CHECK(httpRequest(r.port, "GET", path, {kAuth}).status == 200);
  auto limited = httpRequest(r.port, "GET", path, {kAuth});
  CHECK(limited.status == 429);
  CHECK(limited.headers["retry-after"] == "2");
  CHECK(httpRequest(r.port, "GET", path, {"Authorization: Bearer slow"}).status == 200);
  CHECK(r.host.counter("rate_limited") == 1);
}

TEST_CASE("CORS: preflight and allow-origin per config") {
  Running r;
  REQUIRE(r.port != 0);
  auto pre = httpRequest(r.port, "OPTIONS", "/v1/presence/alice@example.test",
                         {"Origin: https://mail.example.test", "Access-Control-Request-Method: GET",
                          "Access-Control-Request-Headers: authorization"});
  CHECK(pre.status == 204);
  CHECK(pre.headers["access-control-allow-origin"] == "https://mail.example.test");
  CHECK(pre.headers["access-control-allow-headers"].find("Authorization") != std::string::npos);
  CHECK(httpRequest(r.port, "OPTIONS", "/v1/presence/alice@example.test",
                    {"Origin: https://evil.test", "Access-Control-Request-Method: GET"})
            .status == 403);
  auto get = httpRequest(r.port, "GET", "/v1/presence/alice@example.test",
                         {kAuth, "Origin: https://mail.example.test"});
  CHECK(get.headers["access-control-allow-origin"] == "https://mail.example.test");
  auto evil = httpRequest(r.port, "GET", "/v1/presence/alice@example.test",
                          {kAuth, "Origin: https://evil.test"});
  CHECK(evil.status == 200);
  CHECK(evil.headers.count("access-control-allow-origin") == 0);
}

TEST_CASE("SSE: snapshot, then an event within a second of a change") {
  Running r;
  REQUIRE(r.port != 0);
  SseClient sse(r.port, "/v1/presence/stream?users=alice@example.test,bob@example.test", {kAuth});
  REQUIRE(sse.status() == 200);
  std::set<std::string> snapshot;
  for (int i = 0; i < 2; ++i) {
    auto e = sse.nextEvent(2s);
    REQUIRE(e);
    auto data = json(e->substr(e->find("data: ") + 6));
    snapshot.insert(data["id"].get<std::string>());
  }
  CHECK(snapshot == std::set<std::string>{"alice@example.test", "bob@example.test"});
  const auto t0 = std::chrono::steady_clock::now();
  r.host.setPresence("bob@example.test", CONFAB_AVAIL_DND, "", "focus time");
  auto e = sse.nextEvent(1s);
  REQUIRE(e);
  CHECK(std::chrono::steady_clock::now() - t0 < 1s);
  CHECK(e->find("id: 1\n") == 0);
  auto data = json(e->substr(e->find("data: ") + 6));
  CHECK(data["id"] == "bob@example.test");
  CHECK(data["availability"] == "DoNotDisturb");
  CHECK(data["statusMessage"] == "focus time");
  CHECK(r.host.counter("sse_listeners") == 1);
  CHECK(r.host.counter("events_pushed") >= 3);

  SseClient by_query(r.port, "/v1/presence/stream?users=alice@example.test&access_token=reader");
  CHECK(by_query.status() == 200);
  SseClient forbidden(r.port, "/v1/presence/stream?users=bob@example.test",
                      {"Authorization: Bearer alice-only"});
  CHECK(forbidden.status() == 403);
  SseClient anonymous(r.port, "/v1/presence/stream?users=alice@example.test");
  CHECK(anonymous.status() == 401);
}

TEST_CASE("SSE heartbeats keep an idle stream alive") {
  Running r("heartbeat_s: 1\n");
  REQUIRE(r.port != 0);
  SseClient sse(r.port, "/v1/presence/stream?users=alice@example.test", {kAuth});
  REQUIRE(sse.status() == 200);
  bool heartbeat = false;
  for (int i = 0; i < 5 && !heartbeat; ++i) {
    auto block = sse.next(3s);
    REQUIRE(block);
    heartbeat = block->find(": heartbeat") != std::string::npos;
  }
  CHECK(heartbeat);
}

TEST_CASE("WebSocket: subscribe, snapshot, pushed change, refusals") {
  Running r;
  REQUIRE(r.port != 0);
  WsClient ws(r.port, "/v1/presence/ws", {kAuth});
  REQUIRE(ws.open());
  REQUIRE(
      ws.send(R"({"subscribe": ["alice@example.test", "x@other.test", "ghost@example.test"]})"));
  std::map<std::string, nlohmann::json> got;
  for (int i = 0; i < 3; ++i) {
    auto m = ws.receive(2s);
    REQUIRE(m);
    auto j = json(*m);
    got[j["id"].get<std::string>()] = j;
  }
  CHECK(got["alice@example.test"]["type"] == "presence");
  CHECK(got["x@other.test"]["status"] == 403);
  CHECK(got["ghost@example.test"]["status"] == 404);
  const auto t0 = std::chrono::steady_clock::now();
  r.host.setPresence("alice@example.test", CONFAB_AVAIL_AWAY, "out-to-lunch");
  auto m = ws.receive(1s);
  REQUIRE(m);
  CHECK(std::chrono::steady_clock::now() - t0 < 1s);
  auto j = json(*m);
  CHECK(j["availability"] == "Away");
  CHECK(j["sequenceNumber"] == 2);
  CHECK(r.host.counter("ws_listeners") == 1);

  WsClient anonymous(r.port, "/v1/presence/ws");
  CHECK_FALSE(anonymous.open());
  WsClient wrong_path(r.port, "/v1/presence/elsewhere", {kAuth});
  CHECK_FALSE(wrong_path.open());
}

TEST_CASE("webhook: signed POST on change, retried after a 500") {
  WebhookReceiver receiver({500, 200});
  Running r("webhooks:\n  - {url: \"http://127.0.0.1:" + std::to_string(receiver.port()) +
            "/hook\", users: [alice@example.test], secret: s3cret}\nwebhook_retry_base_ms: 50\n");
  REQUIRE(r.port != 0);
  // Watched from the start: the first (initial) state is no change and posts nothing.
  REQUIRE(FakeHost::waitFor([&] { return knows(r, "alice@example.test", 1); }));
  r.host.setPresence("bob@example.test", CONFAB_AVAIL_BUSY);  // not a webhook user
  r.host.setPresence("alice@example.test", CONFAB_AVAIL_BUSY, "busy", "deep work");
  REQUIRE(FakeHost::waitFor([&] { return receiver.requests().size() >= 2; }, 5s));
  const auto reqs = receiver.requests();
  CHECK(reqs.size() == 2);
  for (const auto& req : reqs) {
    CHECK(req.target == "/hook");
    CHECK(req.headers.at("content-type") == "application/json");
    CHECK(req.headers.at("x-confab-signature") ==
          "sha256=" + adapters::http_presence::hmacSha256Hex("s3cret", req.body));
    auto j = json(req.body);
    CHECK(j["id"] == "alice@example.test");
    CHECK(j["statusMessage"] == "deep work");
  }
  CHECK(reqs[0].headers.at("x-confab-attempt") == "1");
  CHECK(reqs[1].headers.at("x-confab-attempt") == "2");
  CHECK(FakeHost::waitFor([&] { return r.host.counter("webhook_delivered") == 1; }));
  CHECK(r.host.counter("webhook_failures") == 1);
}

TEST_CASE("webhook: a receiver that is down is retried a bounded number of times") {
  Running r(
      "webhooks:\n  - {url: \"http://127.0.0.1:1/hook\", users: [alice@example.test]}\n"
      "webhook_retry_base_ms: 10\nwebhook_attempts: 3\n");
  REQUIRE(r.port != 0);
  REQUIRE(FakeHost::waitFor([&] { return knows(r, "alice@example.test", 1); }));
  r.host.setPresence("alice@example.test", CONFAB_AVAIL_BUSY);
  CHECK(FakeHost::waitFor([&] { return r.host.counter("webhook_abandoned") == 1; }, 5s));
  CHECK(r.host.counter("webhook_failures") == 3);
}

TEST_CASE("PUT publishes presence for a plugin identity only") {
  Running r;
  REQUIRE(r.port != 0);
  auto ok =
      httpRequest(r.port, "PUT", "/v1/presence/bot@example.test", {"Authorization: Bearer writer"},
                  R"({"availability": "Busy", "statusMessage": "answering"})");
  CHECK(ok.status == 202);
  REQUIRE(r.host.published().size() == 1);
  CHECK(r.host.published()[0].presence.availability == CONFAB_AVAIL_BUSY);
  CHECK(r.host.published()[0].presence.note == "answering");
  CHECK(httpRequest(r.port, "PUT", "/v1/presence/alice@example.test",
                    {"Authorization: Bearer writer"}, R"({"availability": "Busy"})")
            .status == 403);
  // Wrong JSON types are bad input, not a crash.
  CHECK(httpRequest(r.port, "PUT", "/v1/presence/bot@example.test",
                    {"Authorization: Bearer writer"},
                    R"({"availability": "Away", "activity": 5, "expiresInSeconds": "x"})")
            .status == 202);
  CHECK(httpRequest(r.port, "PUT", "/v1/presence/bot@example.test",
                    {"Authorization: Bearer writer"}, R"({"availability": -3})")
            .status == 400);
  CHECK(httpRequest(r.port, "PUT", "/v1/presence/bot@example.test", {kAuth},
                    R"({"availability": "Busy"})")
            .status == 403);
}

TEST_CASE("cache: idle users are unsubscribed, watched ones kept, size bounded") {
  Running r("idle_unsubscribe_s: 0\nmax_cached_users: 2\n");
  REQUIRE(r.port != 0);
  {
    SseClient sse(r.port, "/v1/presence/stream?users=alice@example.test", {kAuth});
    REQUIRE(sse.status() == 200);
    REQUIRE(sse.nextEvent(2s));
    CHECK(httpRequest(r.port, "GET", "/v1/presence/bob@example.test", {kAuth}).status == 200);
    // bob is idle at once (idle_unsubscribe_s 0); alice has a listener and stays.
    CHECK(FakeHost::waitFor([&] { return r.host.subscriptions().count("bob@example.test") == 0; }));
    CHECK(r.host.subscriptions().count("alice@example.test") == 1);
    // A full cache evicts an unwatched entry rather than refusing.
    CHECK(httpRequest(r.port, "GET", "/v1/presence/carol@example.test", {kAuth}).status == 200);
  }
  // The listener left: alice is unpinned and dropped too.
  CHECK(FakeHost::waitFor([&] { return r.host.subscriptions().empty(); }));
  CHECK(FakeHost::waitFor([&] { return r.host.counter("listeners_closed") == 1; }));
}

TEST_CASE("SSE: snapshots of users not cached yet all arrive") {
  Running r;
  REQUIRE(r.port != 0);
  SseClient sse(r.port, "/v1/presence/stream?users=bob@example.test,carol@example.test", {kAuth});
  REQUIRE(sse.status() == 200);
  CHECK(sse.nextEvent(2s));
  CHECK(sse.nextEvent(2s));
}
