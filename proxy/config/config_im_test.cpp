// SPDX-License-Identifier: Apache-2.0
// The im: section.
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

TEST_CASE("im: defaults") {
  auto config = load("server: { var_dir: /var/lib/confab }\n");
  REQUIRE(config);
  CHECK(config->im.databasePath(config->server.var_dir) == "/var/lib/confab/im.db");
  CHECK(config->im.max_body_size == 65536);
  CHECK(config->im.session_idle_timeout_s == 300);
  CHECK(config->im.offline_max_messages == 100);
  CHECK(config->im.offline_max_age_s == 604800);
  CHECK(config->im.flood_max_messages == 100);
  CHECK(config->im.max_participants == 500);
}

TEST_CASE("im: values") {
  auto config = load(
      "im:\n"
      "  database: /tmp/x/im.db\n"
      "  offline_max_messages: 3\n"
      "  session_idle_timeout_s: 5\n"
      "  flood_max_messages: 0\n");
  REQUIRE(config);
  CHECK(config->im.databasePath("var") == "/tmp/x/im.db");
  CHECK(config->im.offline_max_messages == 3);
  CHECK(config->im.session_idle_timeout_s == 5);
  CHECK(config->im.flood_max_messages == 0);
}

TEST_CASE("im: bad values are reported at their key") {
  auto config = load(
      "im:\n"
      "  session_idle_timeout_s: 0\n"
      "  offline_max_age: 5\n");
  REQUIRE_FALSE(config);
  const std::string& detail = config.error().detail;
  CHECK(detail.find("im.session_idle_timeout_s") != std::string::npos);
  CHECK(detail.find("offline_max_age") != std::string::npos);
}

}  // namespace proxy::config
