// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "adapters/http_presence/config.h"
#include "adapters/http_presence/http_response.h"
#include "adapters/http_presence/http_util.h"
#include "adapters/http_presence/presence_view.h"
#include "adapters/http_presence/rate_limiter.h"
#include "adapters/http_presence/webhooks.h"

using namespace adapters::http_presence;

TEST_CASE("config parses tokens, CORS, rate limits and webhooks") {
  auto c = parseConfig(R"(
address: 127.0.0.1
port: 0
port_file: /tmp/x
tokens:
  - {token: abc, scopes: [presence:read], users: ["@example.test"]}
  - {token: w, scopes: [presence:read, presence:write], users: ["*"]}
cors_origins: ["https://mail.example.test"]
rate_limit_per_token: {requests_per_second: 5, burst: 2}
webhooks:
  - {url: "http://127.0.0.1:9000/hook", users: [alice@example.test], secret: s3}
max_listeners: 10
)");
  REQUIRE(c.ok());
  CHECK(c->port == 0);
  CHECK(c->port_file == "/tmp/x");
  REQUIRE(c->tokens.size() == 2);
  CHECK(c->findToken("abc")->can_read);
  CHECK_FALSE(c->findToken("abc")->can_write);
  CHECK(c->findToken("abc")->users.allows("bob@example.test"));
  CHECK_FALSE(c->findToken("abc")->users.allows("bob@other.test"));
  CHECK_FALSE(c->findToken("abc")->users.allows("@example.test"));
  CHECK(c->findToken("nope") == nullptr);
  CHECK(c->findToken("") == nullptr);
  CHECK(c->originAllowed("https://mail.example.test"));
  CHECK_FALSE(c->originAllowed("https://evil.test"));
  CHECK(c->requests_per_second == 5);
  REQUIRE(c->webhooks.size() == 1);
  CHECK(c->webhooks[0].host == "127.0.0.1");
  CHECK(c->webhooks[0].port == 9000);
  CHECK(c->webhooks[0].path == "/hook");
  CHECK(c->webhooks[0].users.exactUsers() == std::vector<std::string>{"alice@example.test"});
  CHECK(c->max_listeners == 10);
}

TEST_CASE("bad config is an error, not an exception") {
  CHECK_FALSE(parseConfig("port: [1").ok());
  CHECK_FALSE(parseConfig("port: 70000").ok());
  CHECK_FALSE(parseConfig("port: eighty").ok());
  CHECK_FALSE(parseConfig("tokens: {a: b}").ok());
  CHECK_FALSE(parseConfig("tokens: [{token: x, scopes: [root]}]").ok());
  CHECK_FALSE(parseConfig("webhooks: [{url: 'https://x/y'}]").ok());
  CHECK_FALSE(parseConfig("- a list").ok());
  CHECK(parseConfig("").ok());
}

TEST_CASE("availability and activity map to the groupware names") {
  CHECK(availabilityName(3500) == "Available");
  CHECK(availabilityName(4500) == "AvailableIdle");
  CHECK(availabilityName(6500) == "Busy");
  CHECK(availabilityName(6900) == "DoNotDisturb");
  CHECK(availabilityName(7500) == "BusyIdle");
  CHECK(availabilityName(9500) == "DoNotDisturb");
  CHECK(availabilityName(12500) == "BeRightBack");
  CHECK(availabilityName(15500) == "Away");
  CHECK(availabilityName(18500) == "Offline");
  CHECK(availabilityName(0) == "PresenceUnknown");
  CHECK(activityName("on-the-phone", 6500) == "InACall");
  CHECK(activityName("", 4500) == "Inactive");
  CHECK(activityName("", 6500) == "Busy");
  CHECK(activityName("juggling", 6500) == "juggling");
  PresenceState p{"alice@example.test", 6500, "busy", "in a\nmeeting", true, 7, 1700000000123};
  const auto j = toJson(p);
  CHECK(j["availability"] == "Busy");
  CHECK(j["statusMessage"] == "in a\nmeeting");
  CHECK(j["sequenceNumber"] == 7);
  CHECK(j["lastModified"] == "2023-11-14T22:13:20.123Z");
  const std::string event = sseEvent(p);
  CHECK(event.starts_with("id: 7\nevent: presence\ndata: {"));
  CHECK(event.ends_with("}\n\n"));
  CHECK(event.find("\n", event.find("data:")) == event.size() - 2);  // no raw newline in data
}

TEST_CASE("HMAC-SHA256 matches RFC 4231 test case 2") {
  CHECK(hmacSha256Hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("rate limiter allows a burst then paces") {
  RateLimiter limiter(2, 3);
  CHECK(limiter.admit("t", 1000) == 0);
  CHECK(limiter.admit("t", 1000) == 0);
  CHECK(limiter.admit("t", 1000) == 0);
  CHECK(limiter.admit("t", 1000) == 1);
  CHECK(limiter.admit("other", 1000) == 0);
  CHECK(limiter.admit("t", 1500) == 0);  // half a second at 2/s refills one
  CHECK(limiter.admit("t", 1500) != 0);
}

TEST_CASE("AORs are normalised, junk refused") {
  CHECK(normaliseAor("sip:Alice@Example.TEST") == "alice@example.test");
  CHECK(normaliseAor("bob@example.test") == "bob@example.test");
  CHECK(normaliseAor("bob") == "");
  CHECK(normaliseAor("@example.test") == "");
  CHECK(normaliseAor("bob@") == "");
  CHECK(normaliseAor("a b@example.test") == "");
  CHECK(normaliseAor("a@b/../c") == "");
  CHECK(splitComma("a,,b,") == std::vector<std::string>{"a", "b"});
  CHECK(availabilityFromName("Busy") == 6500);
  CHECK(availabilityFromName(12500) == 12500);
  CHECK(availabilityFromName("Sleeping") == 0);
}

TEST_CASE("CORS echoes an allowed origin, or * when every origin is allowed") {
  Config named;
  named.cors_origins = {"https://mail.example.test"};
  CHECK(corsOriginFor(named, "https://mail.example.test") == "https://mail.example.test");
  CHECK(corsOriginFor(named, "https://evil.test") == "");
  CHECK(corsOriginFor(named, "") == "");
  Config any;
  any.cors_origins = {"*"};
  CHECK(corsOriginFor(any, "https://anywhere.test") == "*");
  CHECK(corsOriginFor(any, "") == "");  // not a browser: no CORS headers at all
}
