// SPDX-License-Identifier: Apache-2.0
#include "proxy/config/config.h"

#include <doctest/doctest.h>

#include <string>

namespace proxy::config {
namespace {

constexpr const char* kMinimal =
    "domains: [Example.TEST]\n"
    "listeners:\n"
    "  - { transport: udp, address: 127.0.0.1, port: 5060 }\n";

Config mustParse(const std::string& yaml) {
  auto config = parseConfig(yaml, "test.yaml");
  REQUIRE_MESSAGE(config.ok(), config.error().detail);
  return *config;
}

// Defaults that every config gets, whether written out (as in the shipped file) or not.
void checkDefaults(const Config& c) {
  CHECK(c.server.workers == 1);
  CHECK(c.server.log_level == log::Level::Info);
  CHECK(c.server.trace_sip == false);
  CHECK(c.server.var_dir == "var");
  CHECK(c.storage.path == "var/confab.db");
  CHECK(c.storage.batch_max == 512);
  CHECK(c.storage.batch_delay_us == 2000);
  CHECK(c.auth.realm == "example.test");
  CHECK(c.auth.algorithms ==
        std::vector<DigestAlgorithm>{DigestAlgorithm::Sha256, DigestAlgorithm::Md5});
  CHECK(c.auth.nonce_lifetime_s == 300);
  CHECK(c.auth.challenge_register);
  CHECK(c.auth.challenge_requests);
  CHECK(c.auth.ntlm);
  CHECK(c.auth.ntlm_targetname == "confab." + c.domains.front());
  CHECK(c.auth.trusted_networks.empty());
  CHECK(c.auth.md5_only_user_agents == std::vector<std::string>{"baresip"});
  CHECK(c.users.empty());
  CHECK(c.registrar.min_expires == 60);
  CHECK(c.registrar.max_expires == 3600);
  CHECK(c.registrar.default_expires == 3600);
  CHECK(c.registrar.max_contacts_per_aor == 16);
  CHECK(c.limits.max_message_size == 65535);
  CHECK(c.limits.max_headers == 128);
  CHECK(c.limits.max_connections == 10000);
  CHECK(c.limits.max_connections_per_source == 256);
  CHECK(c.limits.requests_per_second_per_source == 0);
  CHECK(c.limits.tcp_idle_timeout_s == 600);
  CHECK(c.limits.tcp_message_timeout_s == 30);
  CHECK(c.limits.max_forwards == 70);
  CHECK(c.limits.store_queue_max == 100000);
  CHECK(c.limits.notify_pending_max == 50000);
  CHECK(c.limits.overload_retry_after_s == 5);
  CHECK(c.transactions.t1_ms == 500);
  CHECK(c.transactions.t2_ms == 4000);
  CHECK(c.transactions.t4_ms == 5000);
}

}  // namespace

TEST_CASE("the shipped conf/confab.yaml loads with the documented defaults") {
  const std::string path = std::string(CONFAB_SOURCE_DIR) + "/conf/confab.yaml";
  auto config = loadConfig(path);
  REQUIRE_MESSAGE(config.ok(), config.error().detail);
  const Config& c = *config;
  CHECK(c.source_path == path);
  checkDefaults(c);
  CHECK(c.domains == std::vector<std::string>{"example.test"});
  REQUIRE(c.listeners.size() == 3);
  CHECK(c.listeners[0].transport == Transport::Udp);
  CHECK(c.listeners[0].address == "127.0.0.1");
  CHECK(c.listeners[0].port == 5060);
  CHECK(c.listeners[1].transport == Transport::Tcp);
  CHECK(c.listeners[1].port == 5060);
  CHECK(c.listeners[2].transport == Transport::Tls);
  CHECK(c.listeners[2].port == 5061);
  CHECK(c.listeners[2].certificate == "var/tls/confab.crt");
  CHECK(c.listeners[2].private_key == "var/tls/confab.key");
}

TEST_CASE("a minimal config (domains and listeners) gets every default") {
  const Config c = mustParse(kMinimal);
  CHECK(c.source_path == "test.yaml");
  CHECK(c.domains == std::vector<std::string>{"example.test"});  // lowercased
  checkDefaults(c);
  REQUIRE(c.listeners.size() == 1);
  CHECK(c.listeners[0].certificate.empty());
}

TEST_CASE("values are read as written") {
  const Config c = mustParse(std::string(kMinimal) +
                             "server: { workers: 0, log_level: DEBUG, trace_sip: yes, "
                             "var_dir: /srv/confab }\n"
                             "auth:\n"
                             "  realm: Corp\n"
                             "  algorithms: [md5]\n"
                             "  nonce_lifetime: 60\n"
                             "  register: false\n"
                             "  requests: off\n"
                             "  trusted_networks: [10.0.0.0/8, \"fd00::/8\"]\n"
                             "registrar: { min_expires: 1, default_expires: 1, max_expires: 1 }\n"
                             "limits: { requests_per_second_per_source: 50 }\n"
                             "transactions: { t1_ms: 100, t2_ms: 100 }\n");
  CHECK(c.server.workers == 0);
  CHECK(c.server.log_level == log::Level::Debug);
  CHECK(c.server.trace_sip);
  CHECK(c.server.var_dir == "/srv/confab");
  CHECK(c.auth.realm == "Corp");  // the realm keeps its case: it is hashed as written
  CHECK(c.auth.algorithms == std::vector<DigestAlgorithm>{DigestAlgorithm::Md5});
  CHECK(c.auth.nonce_lifetime_s == 60);
  CHECK_FALSE(c.auth.challenge_register);
  CHECK_FALSE(c.auth.challenge_requests);
  REQUIRE(c.auth.trusted_networks.size() == 2);
  CHECK(c.auth.trusted_networks[1].text() == "fd00::/8");
  CHECK(c.auth.isTrusted("10.9.8.7"));
  CHECK(c.auth.isTrusted("fd00::5"));
  CHECK_FALSE(c.auth.isTrusted("192.0.2.1"));
  CHECK(c.registrar.max_expires == 1);
  CHECK(c.limits.requests_per_second_per_source == 50);
  CHECK(c.transactions.t2_ms == 100);
}

TEST_CASE("listeners: default ports, IPv6 addresses with or without brackets") {
  const Config c = mustParse(
      "domains: [example.test]\n"
      "listeners:\n"
      "  - { transport: TCP, address: \"[::1]\" }\n"
      "  - { transport: tls, address: \"::\", certificate: c.pem, private_key: k.pem }\n"
      "  - { transport: udp, address: 0.0.0.0, port: 0 }\n"
      "  - { transport: udp, address: 0.0.0.0, port: 0 }\n");  // ephemeral ports never clash
  REQUIRE(c.listeners.size() == 4);
  CHECK(c.listeners[0].transport == Transport::Tcp);
  CHECK(c.listeners[0].address == "::1");
  CHECK(c.listeners[0].port == 5060);
  CHECK(c.listeners[1].port == 5061);
  CHECK(c.listeners[1].address == "::");
  CHECK(c.listeners[2].port == 0);
  CHECK(transportName(Transport::Tls) == "tls");
}

TEST_CASE("users: a password is hashed into both HA1s and not kept") {
  const Config c = mustParse(std::string(kMinimal) +
                             "users:\n"
                             "  - { aor: Alice@Example.test, password: secret }\n"
                             "  - aor: bob@example.test\n"
                             "    ha1_md5: 4842575394A190EF4C973253BA19099C\n");
  REQUIRE(c.users.size() == 2);
  CHECK(c.users[0].aor == "alice@example.test");
  // printf 'alice:example.test:secret' | md5sum (and | sha256sum)
  CHECK(c.users[0].ha1_md5 == "4842575394a190ef4c973253ba19099c");
  CHECK(c.users[0].ha1_sha256 ==
        "cc0140d97f2b011fee9f86aa26b63fc472268267b652dcea0675e15d9da92468");
  CHECK(c.users[1].aor == "bob@example.test");
  CHECK(c.users[1].ha1_md5 == "4842575394a190ef4c973253ba19099c");  // lowercased
  CHECK(c.users[1].ha1_sha256.empty());
}

TEST_CASE("users are hashed with the configured realm") {
  const Config c = mustParse(
      "domains: [example.test, corp.test]\n"
      "listeners: [{ transport: udp, address: 127.0.0.1 }]\n"
      "auth: { realm: corp.test }\n"
      "users: [{ aor: bob@corp.test, password: \"pa:ss\" }]\n");
  REQUIRE(c.users.size() == 1);
  // printf 'bob:corp.test:pa:ss' | md5sum
  CHECK(c.users[0].ha1_md5 == "a670b4d7ef025f8deba24896526122d1");
  CHECK(c.users[0].ha1_sha256 ==
        "a65a9cc3618e685ba234b07b859033f6cdceb7e5e15e26e3e502c989f65d5fab");
  CHECK(c.isLocalDomain("CORP.test"));
  CHECK_FALSE(c.isLocalDomain("other.test"));
}

TEST_CASE("normalizeAor and makeUser, as confabctl uses them") {
  const std::vector<std::string> domains = {"example.test"};
  CHECK(*normalizeAor(" Alice@EXAMPLE.test ", domains) == "alice@example.test");
  CHECK(normalizeAor("alice", domains).error().detail == "expected user@domain, got \"alice\"");
  CHECK(normalizeAor("@example.test", domains).error().detail ==
        "expected user@domain, got \"@example.test\"");
  CHECK_FALSE(normalizeAor("a@b@example.test", domains).ok());
  CHECK_FALSE(normalizeAor("al ice@example.test", domains).ok());
  CHECK_FALSE(normalizeAor("al:ice@example.test", domains).ok());
  CHECK(normalizeAor("alice@other.test", domains).error().detail ==
        "domain \"other.test\" is not one of the configured domains (example.test)");
  CHECK(aorUser("alice@example.test") == "alice");

  const UserConfig user = makeUser("alice@example.test", "example.test", "secret");
  CHECK(user.aor == "alice@example.test");
  CHECK(user.ha1_md5 == "4842575394a190ef4c973253ba19099c");
}

TEST_CASE("a missing file is reported with its path") {
  auto config = loadConfig("/nonexistent/confab.yaml");
  REQUIRE_FALSE(config.ok());
  CHECK(config.error().detail ==
        "/nonexistent/confab.yaml: cannot open: No such file or directory");
}

}  // namespace proxy::config
