/* SPDX-License-Identifier: Apache-2.0
 * Test plugin "echo": answers 200 to every message and sends the text back to
 * its sender ("echo: <text>"); publishes its own presence at start; watches the
 * users listed in its config and appends what it sees, and every send result, to
 * a file the tests read. Config (YAML text, one "key: value" per line):
 *   identity: echo@example.test   (its presence is published as online)
 *   out: /path/to/file            (the log it appends to)
 *   watch: alice@example.test     (may repeat) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/api/confab_adapter.h"

typedef struct echo {
  const confab_host_api* api;
  confab_host* host;
  char identity[256];
  char out[1024];
} echo;

static echo g_echo;

static void note(echo* self, const char* line) {
  if (self->out[0] == '\0') {
    return;
  }
  FILE* f = fopen(self->out, "a");
  if (f != NULL) {
    fprintf(f, "%s\n", line);
    fclose(f);
  }
}

/* Copies the value of "key: value" lines of the YAML text, calling `each` per match. */
static void each_value(const char* yaml, const char* key, void (*each)(echo*, const char*),
                       echo* self) {
  size_t key_len = strlen(key);
  const char* line = yaml;
  while (line != NULL && *line != '\0') {
    const char* end = strchr(line, '\n');
    size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
    if (len > key_len + 2 && strncmp(line, key, key_len) == 0 && line[key_len] == ':') {
      char value[1024];
      const char* v = line + key_len + 1;
      while (*v == ' ') {
        v++;
      }
      size_t n = len - (size_t)(v - line);
      if (n >= sizeof value) {
        n = sizeof value - 1;
      }
      memcpy(value, v, n);
      value[n] = '\0';
      each(self, value);
    }
    line = end != NULL ? end + 1 : NULL;
  }
}

static void set_identity(echo* self, const char* v) {
  snprintf(self->identity, sizeof self->identity, "%s", v);
}
static void set_out(echo* self, const char* v) { snprintf(self->out, sizeof self->out, "%s", v); }
static void watch(echo* self, const char* v) {
  char line[512];
  int rc = self->api->subscribe(self->host, v);
  snprintf(line, sizeof line, "subscribe %s %d", v, rc);
  note(self, line);
}

static void on_presence(void* p, const confab_presence* presence) {
  echo* self = p;
  char line[2048];
  snprintf(line, sizeof line, "presence %s %u activity=%s im=%d note=%s", presence->aor,
           presence->availability, presence->activity, presence->im_capable, presence->note);
  note(self, line);
}

static void on_message(void* p, const confab_message* m) {
  echo* self = p;
  static uint64_t next_request = 1;
  char text[4200];
  int n = snprintf(text, sizeof text, "echo: %.*s", (int)(m->body_len > 4096 ? 4096 : m->body_len),
                   m->body);
  self->api->answer_message(self->host, m->id, 200);
  int rc = self->api->send_message(self->host, next_request++, m->to, m->from, "text/plain", text,
                                   (size_t)n, 0);
  char line[4400];
  snprintf(line, sizeof line, "message from=%s to=%s send=%d body=%.*s", m->from, m->to, rc,
           (int)(m->body_len > 4096 ? 4096 : m->body_len), m->body);
  note(self, line);
}

static void on_send_result(void* p, uint64_t request_id, int32_t status) {
  char line[128];
  snprintf(line, sizeof line, "sent %llu %d", (unsigned long long)request_id, status);
  note(p, line);
}

static void stop(void* p) { note(p, "stopped"); }

int confab_adapter_init_v1(const confab_host_api* api, confab_host* host, confab_plugin* plugin) {
  echo* self = &g_echo;
  memset(self, 0, sizeof *self);
  self->api = api;
  self->host = host;
  const char* yaml = api->config_yaml(host);
  each_value(yaml, "identity", set_identity, self);
  each_value(yaml, "out", set_out, self);
  plugin->size = sizeof *plugin;
  plugin->abi_version = CONFAB_ADAPTER_ABI_VERSION;
  plugin->name = "echo test plugin";
  plugin->self = self;
  plugin->on_presence = on_presence;
  plugin->on_message = on_message;
  plugin->on_send_result = on_send_result;
  plugin->stop = stop;
  note(self, "started");
  each_value(yaml, "watch", watch, self);
  if (self->identity[0] != '\0') {
    confab_presence mine;
    memset(&mine, 0, sizeof mine);
    mine.size = sizeof mine;
    mine.availability = CONFAB_AVAIL_ONLINE;
    mine.activity = "";
    mine.note = "echo bot";
    int rc = api->publish_presence(host, self->identity, &mine, 86400);
    char line[512];
    snprintf(line, sizeof line, "publish %s %d", self->identity, rc);
    note(self, line);
  }
  api->log(host, CONFAB_LOG_INFO, "echo plugin ready");
  return CONFAB_OK;
}
