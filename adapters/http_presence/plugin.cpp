// SPDX-License-Identifier: Apache-2.0
// The C ABI face of the HTTP presence plugin: confab_adapter_init_v1 parses the config,
// starts the PresenceServer on the host's loop and fills in the callback table. No exception
// crosses this boundary.
#include <cstdio>
#include <exception>
#include <memory>
#include <string>

#include "adapters/api/confab_adapter.h"
#include "adapters/http_presence/config.h"
#include "adapters/http_presence/server.h"

namespace adapters::http_presence {
namespace {

struct Plugin {
  const confab_host_api* api;
  confab_host* host;
  std::unique_ptr<PresenceServer> server;
};

void log(const confab_host_api* api, confab_host* host, int level, const std::string& text) {
  api->log(host, level, ("http_presence: " + text).c_str());
}

void onPresence(void* self, const confab_presence* presence) {
  auto* plugin = static_cast<Plugin*>(self);
  if (presence == nullptr || plugin->server == nullptr ||
      !CONFAB_HAS_FIELD(presence, confab_presence, changed_at_ms)) {
    return;
  }
  try {
    plugin->server->onPresence(*presence);
  } catch (const std::exception& e) {  // e.g. bad_alloc: log, never unwind into the host
    log(plugin->api, plugin->host, CONFAB_LOG_ERROR, std::string("on_presence: ") + e.what());
  }
}

void onMessage(void* self, const confab_message* message) {
  auto* plugin = static_cast<Plugin*>(self);
  if (message != nullptr) {
    plugin->api->answer_message(plugin->host, message->id, 480);  // nobody reads IMs here
  }
}

void stop(void* self) {
  auto* plugin = static_cast<Plugin*>(self);
  try {
    PresenceServer::shutdown(std::move(plugin->server));
  } catch (const std::exception& e) {
    log(plugin->api, plugin->host, CONFAB_LOG_ERROR, std::string("stop: ") + e.what());
  }
  delete plugin;
}

int init(const confab_host_api* api, confab_host* host, confab_plugin* out) {
  if (api == nullptr || out == nullptr || api->abi_version != CONFAB_ADAPTER_ABI_VERSION ||
      !CONFAB_HAS_FIELD(api, confab_host_api, count)) {
    return CONFAB_ERR_INVALID;
  }
  const char* yaml = api->config_yaml(host);
  auto config = parseConfig(yaml != nullptr ? yaml : "");
  if (!config) {
    log(api, host, CONFAB_LOG_ERROR, config.error().detail);
    return CONFAB_ERR_INVALID;
  }
  const std::string port_file = config->port_file;
  auto server = PresenceServer::start(std::move(*config), api, host);
  if (!server) {
    log(api, host, CONFAB_LOG_ERROR, server.error().detail);
    return CONFAB_ERR_INVALID;
  }
  const uint16_t port = (*server)->port();
  log(api, host, CONFAB_LOG_INFO, "listening on port " + std::to_string(port));
  if (!port_file.empty()) {
    if (FILE* f = std::fopen(port_file.c_str(), "w")) {
      std::fprintf(f, "%u\n", static_cast<unsigned>(port));
      std::fclose(f);
    } else {
      log(api, host, CONFAB_LOG_WARN, "cannot write port_file " + port_file);
    }
  }
  auto* plugin = new Plugin{api, host, std::move(*server)};
  out->size = sizeof *out;
  out->abi_version = CONFAB_ADAPTER_ABI_VERSION;
  out->name = "http_presence";
  out->self = plugin;
  out->on_presence = &onPresence;
  out->on_message = &onMessage;
  out->on_send_result = nullptr;
  out->stop = &stop;
  return CONFAB_OK;
}

}  // namespace
}  // namespace adapters::http_presence

extern "C" __attribute__((visibility("default"))) int confab_adapter_init_v1(
    const confab_host_api* api, confab_host* host, confab_plugin* plugin) {
  try {
    return adapters::http_presence::init(api, host, plugin);
  } catch (...) {
    return CONFAB_ERR_INVALID;
  }
}
