// SPDX-License-Identifier: Apache-2.0
// Every class of configuration error, with the exact message an operator sees.
#include <doctest/doctest.h>

#include <string>

#include "proxy/config/config.h"

namespace proxy::config {
namespace {

// Lines 1-3 of every test document; what a test appends starts on line 4.
constexpr const char* kBase =
    "domains: [example.test]\n"
    "listeners:\n"
    "  - { transport: udp, address: 127.0.0.1, port: 5060 }\n";

std::string errorOf(const std::string& yaml) {
  auto config = parseConfig(yaml, "conf/confab.yaml");
  REQUIRE_MESSAGE(!config.ok(), "expected an error for:\n" << yaml);
  return config.error().detail;
}

}  // namespace

TEST_CASE("YAML syntax errors carry yaml-cpp's position") {
  CHECK(errorOf("domains: [example.test\nlisteners: []\n") ==
        "conf/confab.yaml:2:10: invalid YAML: end of sequence flow not found");
  CHECK(errorOf("server:\n\tworkers: 2\n") ==
        "conf/confab.yaml:2:9: invalid YAML: illegal map value "
        "(tabs are not allowed for indentation)");
  CHECK(errorOf(std::string(kBase) + "---\nx: 1\n") ==
        "conf/confab.yaml:5:1: expected a single YAML document, found another");
}

TEST_CASE("the document must be a mapping with domains and listeners") {
  CHECK(errorOf("") ==
        "conf/confab.yaml:1:1: domains: required key is missing\n"
        "conf/confab.yaml:1:1: listeners: required key is missing");
  CHECK(errorOf("- a\n- b\n") == "conf/confab.yaml:1:1: expected a mapping of keys, got a list");
  CHECK(errorOf("domains: []\nlisteners: []\n") ==
        "conf/confab.yaml:1:10: domains: expected at least one domain, got a list\n"
        "conf/confab.yaml:2:12: listeners: expected at least one listener, got a list");
  CHECK(errorOf("domains:\nlisteners: {}\n") ==
        "conf/confab.yaml:1:1: domains: expected at least one domain, got nothing\n"
        "conf/confab.yaml:2:12: listeners: expected a list, got a mapping");
}

TEST_CASE("unknown keys are rejected, with a suggestion when one is close") {
  CHECK(errorOf(std::string(kBase) + "server:\n  wokers: 2\n") ==
        "conf/confab.yaml:5:3: server.wokers: unknown key (did you mean \"workers\"?)");
  CHECK(errorOf(std::string(kBase) + "registar: {}\n") ==
        "conf/confab.yaml:4:1: registar: unknown key (did you mean \"registrar\"?)");
  CHECK(errorOf(std::string(kBase) + "limits: { colour: blue }\n") ==
        "conf/confab.yaml:4:11: limits.colour: unknown key (expected one of: "
        "max_message_size, max_headers, max_connections, max_connections_per_source, "
        "requests_per_second_per_source, tcp_idle_timeout, tcp_message_timeout, "
        "max_forwards, store_queue_max, notify_pending_max, overload_retry_after_s)");
  CHECK(errorOf(std::string(kBase) + "server:\n  workers: 2\n  workers: 3\n") ==
        "conf/confab.yaml:6:3: server.workers: duplicate key (first given at line 5)");
}

TEST_CASE("integers are checked for type and range") {
  CHECK(errorOf("domains: [example.test]\n"
                "listeners:\n"
                "  - { transport: udp, address: 127.0.0.1, port: 5060 }\n"
                "  - { transport: tcp, address: 127.0.0.1,\n"
                "      port: abc }\n") ==
        "conf/confab.yaml:5:13: listeners[1].port: expected an integer 0-65535, got \"abc\"");
  CHECK(errorOf(std::string(kBase) + "server: { workers: 65 }\n") ==
        "conf/confab.yaml:4:20: server.workers: expected an integer 0-64, got \"65\"");
  CHECK(errorOf(std::string(kBase) + "server: { workers: -1 }\n") ==
        "conf/confab.yaml:4:20: server.workers: expected an integer 0-64, got \"-1\"");
  CHECK(errorOf(std::string(kBase) + "server:\n  workers:\n") ==
        "conf/confab.yaml:5:3: server.workers: expected an integer 0-64, got nothing");
  CHECK(errorOf(std::string(kBase) + "limits: { max_forwards: [1] }\n") ==
        "conf/confab.yaml:4:25: limits.max_forwards: expected an integer 1-255, got a list");
  CHECK(errorOf(std::string(kBase) + "limits: { max_headers: 0 }\n") ==
        "conf/confab.yaml:4:24: limits.max_headers: expected an integer 1-10000, got \"0\"");
  CHECK(errorOf(std::string(kBase) + "storage: { batch_max: 99999999999999999999999 }\n") ==
        "conf/confab.yaml:4:23: storage.batch_max: expected an integer 1-100000, "
        "got \"99999999999999999999999\"");
}

TEST_CASE("flags, names and strings") {
  CHECK(errorOf(std::string(kBase) + "server: { trace_sip: maybe }\n") ==
        "conf/confab.yaml:4:22: server.trace_sip: expected true or false, got \"maybe\"");
  CHECK(errorOf(std::string(kBase) + "server: { log_level: loud }\n") ==
        "conf/confab.yaml:4:22: server.log_level: expected trace, debug, info, warn, error or "
        "off, got \"loud\"");
  CHECK(errorOf(std::string(kBase) + "server: { var_dir: \"\" }\n") ==
        "conf/confab.yaml:4:20: server.var_dir: expected a directory path, got \"\"");
  CHECK(errorOf(std::string(kBase) + "storage: { path: [a, b] }\n") ==
        "conf/confab.yaml:4:18: storage.path: expected a string, got a list");
  CHECK(errorOf(std::string(kBase) + "storage: 5\n") ==
        "conf/confab.yaml:4:10: storage: expected a mapping of keys, got \"5\"");
}

TEST_CASE("domains must be domain names, each once") {
  CHECK(errorOf("domains: [example.test, \"bad domain\", EXAMPLE.test]\n"
                "listeners: [{ transport: udp, address: 127.0.0.1 }]\n") ==
        "conf/confab.yaml:1:25: domains[1]: expected a domain name such as example.com, "
        "got \"bad domain\"\n"
        "conf/confab.yaml:1:39: domains[2]: duplicate domain (also domains[0])");
}

TEST_CASE("listeners: transport, address, TLS material, clashes") {
  CHECK(errorOf("domains: [example.test]\n"
                "listeners:\n"
                "  - { transport: sctp, address: 127.0.0.1 }\n") ==
        "conf/confab.yaml:3:18: listeners[0].transport: expected udp, tcp or tls, got \"sctp\"");
  CHECK(errorOf("domains: [example.test]\n"
                "listeners:\n"
                "  - udp\n") ==
        "conf/confab.yaml:3:5: listeners[0]: expected a mapping of keys, got \"udp\"");
  CHECK(errorOf("domains: [example.test]\n"
                "listeners:\n"
                "  - { port: 5060 }\n") ==
        "conf/confab.yaml:3:5: listeners[0].transport: required key is missing\n"
        "conf/confab.yaml:3:5: listeners[0].address: required key is missing");
  CHECK(errorOf("domains: [example.test]\n"
                "listeners:\n"
                "  - { transport: udp, address: localhost }\n") ==
        "conf/confab.yaml:3:32: listeners[0].address: expected an IPv4 or IPv6 address such as "
        "0.0.0.0 or ::, got \"localhost\"");
  CHECK(errorOf("domains: [example.test]\n"
                "listeners:\n"
                "  - transport: tls\n"
                "    address: 127.0.0.1\n"
                "    certificate: a.crt\n") ==
        "conf/confab.yaml:3:5: listeners[0].private_key: required for a tls listener (a PEM "
        "file path)");
  CHECK(errorOf("domains: [example.test]\n"
                "listeners:\n"
                "  - { transport: tcp, address: 127.0.0.1, certificate: a.crt }\n") ==
        "conf/confab.yaml:3:56: listeners[0].certificate: only used by tls listeners");
  CHECK(errorOf("domains: [example.test]\n"
                "listeners:\n"
                "  - { transport: tcp, address: 127.0.0.1, port: 5060 }\n"
                "  - { transport: udp, address: 127.0.0.1, port: 5060 }\n"
                "  - { transport: tls, address: 127.0.0.1, port: 5060, certificate: c,\n"
                "      private_key: k }\n") ==
        "conf/confab.yaml:5:5: listeners[2]: address and port already used by listeners[0]");
}

TEST_CASE("auth: realm, algorithms, trusted networks") {
  CHECK(errorOf(std::string(kBase) + "auth: { realm: 'a\"b' }\n") ==
        "conf/confab.yaml:4:16: auth.realm: expected a realm without quotes, backslashes or "
        "control characters");
  CHECK(errorOf(std::string(kBase) + "auth: { algorithms: [SHA-256, SHA-512] }\n") ==
        "conf/confab.yaml:4:31: auth.algorithms[1]: expected SHA-256 or MD5, got \"SHA-512\"");
  CHECK(errorOf(std::string(kBase) + "auth: { algorithms: [md5, MD5] }\n") ==
        "conf/confab.yaml:4:27: auth.algorithms[1]: MD5 is listed twice");
  CHECK(errorOf(std::string(kBase) + "auth: { algorithms: [] }\n") ==
        "conf/confab.yaml:4:21: auth.algorithms: expected at least one of SHA-256, MD5, "
        "got nothing");
  CHECK(errorOf(std::string(kBase) + "auth:\n  trusted_networks:\n    - 10.0.0.0/8\n"
                                     "    - 10.0.0.0/40\n") ==
        "conf/confab.yaml:7:7: auth.trusted_networks[1]: expected a prefix length 0-32 after "
        "'/', got \"10.0.0.0/40\"");
  CHECK(errorOf(std::string(kBase) + "auth: { nonce_lifetime: 0 }\n") ==
        "conf/confab.yaml:4:25: auth.nonce_lifetime: expected an integer 1-86400, got \"0\"");
}

TEST_CASE("users: AOR, credentials, duplicates") {
  CHECK(errorOf(std::string(kBase) + "users:\n  - { aor: alice, password: x }\n") ==
        "conf/confab.yaml:5:12: users[0].aor: expected user@domain, got \"alice\"");
  CHECK(errorOf(std::string(kBase) + "users:\n  - { aor: alice@other.test, password: x }\n") ==
        "conf/confab.yaml:5:12: users[0].aor: domain \"other.test\" is not one of the "
        "configured domains (example.test)");
  CHECK(errorOf(std::string(kBase) + "users:\n  - { password: x }\n") ==
        "conf/confab.yaml:5:5: users[0].aor: required key is missing");
  CHECK(errorOf(std::string(kBase) + "users:\n  - { aor: a@example.test }\n") ==
        "conf/confab.yaml:5:5: users[0]: expected password, ha1_md5 or ha1_sha256");
  CHECK(errorOf(std::string(kBase) +
                "users:\n  - { aor: a@example.test, password: x, ha1_md5: abc }\n") ==
        "conf/confab.yaml:5:38: users[0].password: give either password or "
        "ha1_md5/ha1_sha256, not both");
  CHECK(errorOf(std::string(kBase) + "users:\n  - { aor: a@example.test, ha1_md5: abc }\n") ==
        "conf/confab.yaml:5:37: users[0].ha1_md5: expected 32 hex digits, got 3 characters");
  CHECK(errorOf(std::string(kBase) + "users:\n  - { aor: a@example.test, password: \"\" }\n") ==
        "conf/confab.yaml:5:38: users[0].password: expected a non-empty password");
  CHECK(
      errorOf(std::string(kBase) +
              "auth: { algorithms: [SHA-256] }\n"
              "users:\n  - { aor: a@example.test, ha1_md5: 4842575394a190ef4c973253ba19099c }\n") ==
      "conf/confab.yaml:6:5: users[0]: has no HA1 for any algorithm in auth.algorithms, so "
      "could never authenticate");
  CHECK(errorOf(std::string(kBase) + "users:\n"
                                     "  - { aor: a@example.test, password: x }\n"
                                     "  - { aor: A@example.test, password: y }\n") ==
        "conf/confab.yaml:6:12: users[1].aor: duplicate user (also users[0])");
}

TEST_CASE("registrar and transaction timers must be ordered") {
  CHECK(errorOf(std::string(kBase) + "registrar:\n  min_expires: 4000\n") ==
        "conf/confab.yaml:5:16: registrar.min_expires: must not exceed max_expires (3600)");
  CHECK(errorOf(std::string(kBase) + "registrar: { max_expires: 600 }\n") ==
        "conf/confab.yaml:4:12: registrar.default_expires: must be between min_expires (60) "
        "and max_expires (600)");
  CHECK(errorOf(std::string(kBase) + "transactions: { t1_ms: 5000 }\n") ==
        "conf/confab.yaml:4:15: transactions.t2_ms: must not be less than t1_ms (5000)");
}

TEST_CASE("every error is reported, earliest first") {
  CHECK(errorOf("limits: { max_forwards: 0 }\n"
                "server: { workers: x }\n"
                "domains: [example.test]\n"
                "listeners: [{ transport: udp, address: 127.0.0.1, port: 70000 }]\n") ==
        "conf/confab.yaml:1:25: limits.max_forwards: expected an integer 1-255, got \"0\"\n"
        "conf/confab.yaml:2:20: server.workers: expected an integer 0-64, got \"x\"\n"
        "conf/confab.yaml:4:57: listeners[0].port: expected an integer 0-65535, got \"70000\"");
}

}  // namespace proxy::config
