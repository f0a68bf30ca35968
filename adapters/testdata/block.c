/* SPDX-License-Identifier: Apache-2.0
 * Test plugin "block": sleeps in on_message (1500 ms, or `sleep_ms: N` from its
 * config) before answering, longer than the call_timeout_ms tests give it. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapters/api/confab_adapter.h"

static const confab_host_api* g_api;
static confab_host* g_host;
static long g_sleep_ms = 1500;

static void on_message(void* self, const confab_message* m) {
  (void)self;
  struct timespec ts = {g_sleep_ms / 1000, (g_sleep_ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
  g_api->answer_message(g_host, m->id, 200); /* too late: the host answered 408 */
}

int confab_adapter_init_v1(const confab_host_api* api, confab_host* host, confab_plugin* plugin) {
  g_api = api;
  g_host = host;
  const char* yaml = api->config_yaml(host);
  const char* at = strstr(yaml, "sleep_ms:");
  if (at != NULL) {
    g_sleep_ms = strtol(at + 9, NULL, 10);
  }
  plugin->size = sizeof *plugin;
  plugin->abi_version = CONFAB_ADAPTER_ABI_VERSION;
  plugin->name = "block test plugin";
  plugin->on_message = on_message;
  return CONFAB_OK;
}
