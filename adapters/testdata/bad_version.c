/* SPDX-License-Identifier: Apache-2.0
 * Test plugin "bad-version": claims an ABI version this host does not speak. */
#include "adapters/api/confab_adapter.h"

int confab_adapter_init_v1(const confab_host_api* api, confab_host* host, confab_plugin* plugin) {
  (void)api;
  (void)host;
  plugin->size = sizeof *plugin;
  plugin->abi_version = 99;
  plugin->name = "bad-version test plugin";
  return CONFAB_OK;
}
