// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "proxy/config/config.h"

namespace proxy::config {
namespace {

constexpr std::string_view kBase =
    "domains: [example.com, other.org]\n"
    "listeners: [{transport: udp, address: 127.0.0.1, port: 5060}]\n";

Result<Config> parse(std::string_view extra) {
  return parseConfig(std::string(kBase) + std::string(extra), "test.yaml");
}

bool hasError(const Result<Config>& config, std::string_view text) {
  const bool found = !config && config.error().detail.find(text) != std::string::npos;
  if (!found) {
    MESSAGE("wanted: " << text << "\ngot: " << (config ? "no error" : config.error().detail));
  }
  return found;
}

}  // namespace

TEST_CASE("no adapters section: no plugins and no metrics endpoint") {
  auto config = parse("");
  REQUIRE(config);
  CHECK(config->adapters.plugins.empty());
  CHECK(config->adapters.metrics_address.empty());
}

TEST_CASE("adapters: metrics and plugins are read, identities normalised") {
  auto config = parse(
      "adapters:\n"
      "  metrics: {port: 9090}\n"
      "  plugins:\n"
      "    - name: echo\n"
      "      path: ./echo.so\n"
      "      identities: [sip:Echo@Example.com, bot@other.org]\n"
      "      call_timeout_ms: 500\n"
      "      queue_limit: 64\n"
      "      config: {greeting: hi, queue: [a@example.com, b@example.com], nested: {x: 1}}\n"
      "    - {name: web-chat, path: /opt/chat.so}\n");
  REQUIRE(config);
  const AdaptersConfig& a = config->adapters;
  CHECK(a.metrics_address == "127.0.0.1");
  CHECK(a.metrics_port == 9090);
  REQUIRE(a.plugins.size() == 2);
  CHECK(a.plugins[0].name == "echo");
  CHECK(a.plugins[0].path == "./echo.so");
  CHECK(a.plugins[0].identities == std::vector<std::string>{"echo@example.com", "bot@other.org"});
  CHECK(a.plugins[0].call_timeout_ms == 500);
  CHECK(a.plugins[0].queue_limit == 64);
  // Re-emitted in block style, one key per line.
  CHECK(a.plugins[0].config_yaml.find("greeting: hi\n") != std::string::npos);
  CHECK(a.plugins[0].config_yaml.find("- a@example.com\n") != std::string::npos);
  CHECK(a.plugins[0].config_yaml.find("  x: 1") != std::string::npos);
  CHECK(a.plugins[1].config_yaml.empty());
  CHECK(a.plugins[1].call_timeout_ms == 2000);
  CHECK(a.plugins[1].queue_limit == 10000);
}

TEST_CASE("adapters: mistakes are reported with their position") {
  CHECK(hasError(parse("adapters:\n  plugins:\n    - {name: x, identities: [a@example.com]}\n"),
                 "test.yaml:5:7: adapters.plugins[0].path: required key is missing"));
  CHECK(hasError(parse("adapters:\n  plugins:\n    - {name: x, path: a.so, identities: "
                       "[a@elsewhere.net]}\n"),
                 "test.yaml:5:42: adapters.plugins[0].identities[0]: domain \"elsewhere.net\""));
  CHECK(hasError(parse("adapters:\n  plugins:\n"
                       "    - {name: x, path: a.so, identities: [a@example.com]}\n"
                       "    - {name: y, path: b.so, identities: [A@example.com]}\n"),
                 "test.yaml:6:42: adapters.plugins[1].identities[0]: identity a@example.com is "
                 "already given"));
  CHECK(hasError(parse("adapters:\n  plugins:\n"
                       "    - {name: x, path: a.so}\n    - {name: x, path: b.so}\n"),
                 "duplicate plugin name \"x\""));
  CHECK(hasError(parse("adapters:\n  plugins:\n    - {name: Bad Name, path: a.so}\n"),
                 "expected a name of 1-32 characters"));
  CHECK(hasError(parse("adapters:\n  plugins:\n    - {name: x, path: a.so, call_timeout_ms: 1}\n"),
                 "call_timeout_ms"));
  CHECK(hasError(parse("adapters:\n  plugins:\n    - {name: x, path: a.so, config: [1]}\n"),
                 "expected a mapping"));
  CHECK(hasError(parse("adapters:\n  metrics: {port: 70000}\n"), "adapters.metrics.port"));
  CHECK(hasError(parse("adapters:\n  plugin: []\n"), "adapters.plugin"));
}

}  // namespace proxy::config
