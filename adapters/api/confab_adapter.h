/* SPDX-License-Identifier: Apache-2.0
 *
 * The Confab adapter plugin ABI, version 1: plain C, no C++ types, so a plugin
 * may be written in any language that can export a C function.
 *
 * A plugin is a shared object named in confab.yaml (adapters.plugins[].path). The
 * host dlopen()s it and calls its one exported entry point, CONFAB_ADAPTER_ENTRY
 * ("confab_adapter_init_v1"), on the plugin's own thread. The plugin fills in a
 * confab_plugin table; the host then calls those callbacks, always on that same
 * thread, one at a time. The thread also runs a libuv loop the plugin may use for
 * its own sockets and timers (host->loop()), e.g. libwebsockets with LWS_WITH_LIBUV:
 * nothing a plugin does can stall a SIP worker, which only ever queues events to it.
 *
 * Isolation: a callback that runs longer than the configured call_timeout_ms is
 * reported ("plugin X stalled in on_presence for N ms"); events keep queueing up to
 * queue_limit and the excess is dropped and counted. A fault (SIGSEGV, SIGBUS,
 * SIGFPE, SIGILL) raised on a plugin thread disables that plugin only: it is logged
 * and counted, its identities answer 503, and the rest of the server runs on. A
 * plugin is trusted code nonetheless (it shares the address space); run untrusted
 * adapters out of process behind the HTTP API instead.
 *
 * Strings are UTF-8 and NUL-terminated; every pointer the host passes is valid only
 * for the duration of the call (copy what you keep). Host functions are thread-safe
 * and never block on the network; they may be called from the plugin thread only
 * (calls from other threads return CONFAB_ERR_THREAD).
 *
 * Versioning: a plugin built for ABI N exports confab_adapter_init_v<N>. Structs
 * carry their size so that fields appended in later minor revisions are detected;
 * read a field only when `size` covers it (CONFAB_HAS_FIELD).
 */
#ifndef CONFAB_ADAPTER_H
#define CONFAB_ADAPTER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CONFAB_ADAPTER_ABI_VERSION 1
#define CONFAB_ADAPTER_ENTRY "confab_adapter_init_v1"
#define CONFAB_HAS_FIELD(ptr, type, field) \
  ((ptr)->size >= offsetof(type, field) + sizeof(((type*)0)->field))

/* Results of host calls. */
#define CONFAB_OK 0
#define CONFAB_ERR_INVALID (-1)   /* bad argument (not an AOR, not one of our domains) */
#define CONFAB_ERR_IDENTITY (-2)  /* `from`/identity is not one of this plugin's identities */
#define CONFAB_ERR_LIMIT (-3)     /* too many pending requests or subscriptions */
#define CONFAB_ERR_THREAD (-4)    /* called from a thread other than the plugin's */
#define CONFAB_ERR_STOPPED (-5)   /* the host is shutting down */

/* Log levels for host->log(). */
#define CONFAB_LOG_DEBUG 0
#define CONFAB_LOG_INFO 1
#define CONFAB_LOG_WARN 2
#define CONFAB_LOG_ERROR 3

/* Availability on the OCS scale (the canonical model's). */
#define CONFAB_AVAIL_ONLINE 3500
#define CONFAB_AVAIL_BUSY 6500
#define CONFAB_AVAIL_DND 9500
#define CONFAB_AVAIL_BRB 12500
#define CONFAB_AVAIL_AWAY 15500
#define CONFAB_AVAIL_OFFLINE 18500

/* One presentity's aggregated presence, as the canonical model has it. */
typedef struct confab_presence {
  uint32_t size;            /* sizeof(confab_presence) of the writer */
  const char* aor;          /* "alice@example.test" */
  uint32_t availability;    /* CONFAB_AVAIL_* scale (any value 3000..18999) */
  const char* activity;     /* RPID/MS token ("busy", "on-the-phone", "away"); "" = none */
  const char* note;         /* free text; "" = none */
  int32_t im_capable;       /* 1: can receive IM now; 0: cannot */
  uint64_t sequence;        /* grows with every change of this presentity */
  int64_t changed_at_ms;    /* unix time of the change, milliseconds */
} confab_presence;

/* A SIP MESSAGE (or IM-session text, bridged by the host) addressed to one of the
 * plugin's identities. */
typedef struct confab_message {
  uint32_t size;
  uint64_t id;               /* answer it with host->answer_message(id, status) */
  const char* from;          /* sender AOR, "bob@example.test" (authenticated by the host) */
  const char* to;            /* the plugin identity it was sent to */
  const char* content_type;  /* "text/plain", "text/html", "message/cpim", ... */
  const char* body;          /* not NUL-terminated: body_len bytes */
  size_t body_len;
  int64_t sent_at_ms;        /* unix time it reached the server */
} confab_message;

typedef struct confab_host confab_host; /* opaque to the plugin */

/* What the host offers. Every function takes the `host` handle the plugin was given. */
typedef struct confab_host_api {
  uint32_t size;
  uint32_t abi_version; /* CONFAB_ADAPTER_ABI_VERSION of the host */

  void (*log)(confab_host* host, int level, const char* message);
  /* The plugin's own libuv loop (uv_loop_t*), run by the host on the plugin thread. */
  void* (*loop)(confab_host* host);
  /* The plugin's `config:` mapping from confab.yaml, re-emitted as YAML text ("" = none). */
  const char* (*config_yaml)(confab_host* host);
  /* The server's first (default) domain, e.g. "example.test". */
  const char* (*domain)(confab_host* host);

  /* Sends a page-mode IM from one of the plugin's identities to a local user (the host
   * bridges to an IM session for OCS-dialect endpoints, and stores it for delivery at
   * the next sign-in when `store_if_offline` is 1 and the user has no endpoint). The
   * outcome arrives later in on_send_result(request_id, status): 200/202 (stored), 404,
   * 480 (nobody online and not stored), 503 ... */
  int (*send_message)(confab_host* host, uint64_t request_id, const char* from_identity,
                      const char* to_aor, const char* content_type, const char* body,
                      size_t body_len, int32_t store_if_offline);
  /* Answers a confab_message (200 accepted, 480 nobody to take it, 486 busy, ...).
   * Unanswered messages get 408 after call_timeout_ms. */
  int (*answer_message)(confab_host* host, uint64_t message_id, int32_t status);
  /* Publishes presence for one of the plugin's identities (fields other than
   * availability/activity/note are ignored); expires_s 0 removes it. */
  int (*publish_presence)(confab_host* host, const char* identity,
                          const confab_presence* presence, uint32_t expires_s);
  /* Starts watching a local user's presence: on_presence is called at once with the
   * current state and after every change, until unsubscribe(). The plugin is a trusted
   * watcher (no presence rules apply); it must enforce its own scopes. */
  int (*subscribe)(confab_host* host, const char* aor);
  int (*unsubscribe)(confab_host* host, const char* aor);
  /* 1 when `aor` is a user of this server, 0 when not. */
  int (*is_local_user)(confab_host* host, const char* aor);
  /* Adds `delta` to the counter "adapter.<plugin name>.<name>" shown on /metrics. */
  void (*count)(confab_host* host, const char* name, uint64_t delta);
} confab_host_api;

/* What the plugin offers; the entry point fills it in. Unused callbacks may be NULL. */
typedef struct confab_plugin {
  uint32_t size;        /* sizeof(confab_plugin) of the plugin */
  uint32_t abi_version; /* CONFAB_ADAPTER_ABI_VERSION the plugin was built for */
  const char* name;     /* static string, for logs */
  void* self;           /* passed back to every callback */

  void (*on_presence)(void* self, const confab_presence* presence);
  void (*on_message)(void* self, const confab_message* message);
  void (*on_send_result)(void* self, uint64_t request_id, int32_t status);
  /* Called once, last, on the plugin thread; close handles on host->loop() here. The
   * host keeps running the loop until it has no active handles (bounded by 5 s). */
  void (*stop)(void* self);
} confab_plugin;

/* The entry point. Return CONFAB_OK, or a negative value and log why (the plugin is
 * then reported as failed to start and is not called again). */
typedef int (*confab_adapter_init_fn)(const confab_host_api* api, confab_host* host,
                                      confab_plugin* plugin);

#ifdef __cplusplus
}
#endif

#endif /* CONFAB_ADAPTER_H */
