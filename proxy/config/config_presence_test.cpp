// SPDX-License-Identifier: Apache-2.0
// The presence: section.
#include <doctest/doctest.h>

#include <string>

#include "proxy/config/config.h"

namespace proxy::config {
namespace {

constexpr const char* kBase =
    "domains: [example.test]\n"
    "listeners:\n"
    "  - { transport: udp, address: 127.0.0.1, port: 5060 }\n";

Result<Config> load(const std::string& extra) {
  return parseConfig(std::string(kBase) + extra, "conf/confab.yaml");
}

}  // namespace

TEST_CASE("presence: defaults") {
  auto config = load("");
  REQUIRE(config);
  CHECK(config->presence.min_notify_interval_ms == 200);
  CHECK(config->presence.publish_min_expires == 60);
  CHECK(config->presence.subscribe_default_expires == 3600);
  CHECK(config->presence.federated == "deny");
  CHECK(config->presence.rules.empty());
}

TEST_CASE("presence: values and rules") {
  auto config = load(
      "presence:\n"
      "  publish_min_expires: 1\n"
      "  min_notify_interval_ms: 50\n"
      "  federated: block\n"
      "  rules:\n"
      "    - { presentity: Alice@Example.Test, watcher: carol@example.test, action: block }\n"
      "    - { presentity: alice@example.test, domain: Other.Test, action: confirm }\n");
  REQUIRE_MESSAGE(config, config.error().detail);
  CHECK(config->presence.publish_min_expires == 1);
  CHECK(config->presence.min_notify_interval_ms == 50);
  CHECK(config->presence.federated == "block");
  REQUIRE(config->presence.rules.size() == 2);
  CHECK(config->presence.rules[0].presentity == "alice@example.test");
  CHECK(config->presence.rules[0].watcher == "carol@example.test");
  CHECK(config->presence.rules[0].action == "block");
  CHECK(config->presence.rules[1].domain == "other.test");
}

TEST_CASE("presence: errors") {
  auto bad = load(
      "presence:\n"
      "  federated: maybe\n"
      "  rules:\n"
      "    - { presentity: alice@elsewhere.test, watcher: bob@example.test, action: block }\n"
      "    - { presentity: alice@example.test, action: nope }\n");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().detail.find("presence.federated: expected allow, confirm, block or deny") !=
        std::string::npos);
  CHECK(bad.error().detail.find("presence.rules[0].presentity") != std::string::npos);
  CHECK(bad.error().detail.find("give exactly one of watcher or domain") != std::string::npos);
  CHECK(bad.error().detail.find("presence.rules[1].action") != std::string::npos);
  auto order = load("presence:\n  publish_min_expires: 100\n  publish_max_expires: 50\n");
  REQUIRE_FALSE(order);
  CHECK(order.error().detail.find("presence.publish_min_expires: must not exceed") !=
        std::string::npos);
}

TEST_CASE("presence: publication write interval") {
  auto defaults = load("");
  REQUIRE(defaults);
  CHECK(defaults->presence.publication_write_interval_ms == 1000);
  auto set = load("presence:\n  publication_write_interval_ms: 0\n");
  REQUIRE_MESSAGE(set, set.error().detail);
  CHECK(set->presence.publication_write_interval_ms == 0);  // every change stored at once
  auto bad = load("presence:\n  publication_write_interval_ms: 600000\n");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().detail.find("publication_write_interval_ms") != std::string::npos);
}

}  // namespace proxy::config

namespace proxy::config {

TEST_CASE("presence.xcap: defaults, values and errors with their place") {
  auto defaults = parseConfig(std::string(kBase), "conf/confab.yaml");
  REQUIRE(defaults);
  const XcapConfig& d = defaults->presence.xcap;
  CHECK(!d.enabled);
  CHECK(d.address == "127.0.0.1");  // loopback unless the operator opens it
  CHECK(d.port == 5080);
  CHECK(d.root == "/xcap");
  auto set = parseConfig(std::string(kBase) +
                             "presence:\n  xcap: { enabled: true, port: 0, root: /lists, "
                             "max_document_size: 4096, max_lists: 8, max_entries: 50 }\n",
                         "conf/confab.yaml");
  REQUIRE_MESSAGE(set, set.error().detail);
  CHECK(set->presence.xcap.enabled);
  CHECK(set->presence.xcap.port == 0);
  CHECK(set->presence.xcap.root == "/lists");
  CHECK(set->presence.xcap.max_document_size == 4096);
  CHECK(set->presence.xcap.max_lists == 8);
  CHECK(set->presence.xcap.max_entries == 50);
  auto bad = parseConfig(std::string(kBase) +
                             "presence:\n  xcap:\n    root: xcap\n    max_lists: 65\n"
                             "    tls: true\n    colour: red\n",
                         "conf/confab.yaml");
  REQUIRE_FALSE(bad);
  const std::string& e = bad.error().detail;
  CHECK(e.find("conf/confab.yaml:6:11: presence.xcap.root: expected a path") != std::string::npos);
  CHECK(e.find("presence.xcap.max_lists") != std::string::npos);
  CHECK(e.find("presence.xcap.tls: needs certificate and private_key") != std::string::npos);
  CHECK(e.find("colour") != std::string::npos);
}

}  // namespace proxy::config
