/* SPDX-License-Identifier: Apache-2.0
 * Test plugin "crash": dereferences a null struct pointer in on_message (a
 * SIGSEGV on the plugin thread), to show the host disables only this plugin. */
#include <stdint.h>

#include "adapters/api/confab_adapter.h"

struct record {
  int64_t id;
  int64_t count;
};

/* volatile: the compiler must not see the null pointer and fold the access into
 * a trap; the sanitizers' null check must not see it either (the fault itself is
 * what the test is about). */
static struct record* volatile g_record;

static void on_message(void* self, const confab_message* m) {
  (void)self;
  (void)m;
  volatile int64_t* count = (volatile int64_t*)((uintptr_t)g_record + sizeof(int64_t));
  *count += 1; /* null->count */
}

int confab_adapter_init_v1(const confab_host_api* api, confab_host* host, confab_plugin* plugin) {
  (void)api;
  (void)host;
  plugin->size = sizeof *plugin;
  plugin->abi_version = CONFAB_ADAPTER_ABI_VERSION;
  plugin->name = "crash test plugin";
  plugin->on_message = on_message;
  return CONFAB_OK;
}
