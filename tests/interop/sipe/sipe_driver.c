// SPDX-License-Identifier: Apache-2.0
// sipe_driver: a headless libpurple client that loads pidgin-sipe (prpl-sipe),
// signs one account in and reports what happens as JSON lines on stdout. It
// reads commands from stdin, one a line, so that tests (sipe_peer.py) can drive
// the real OCS/Lync-dialect client against confabd.
//
//   sipe_driver --user alice@example.test --server 127.0.0.1:5060 [options]
//
// Events (one JSON object a line, {"event": NAME, ...string fields}): ready,
// signed-in, signed-off, connection-error, buddy-added, buddy-removed,
// buddy-status, buddy / buddies-end (list buddies), im, im-sent, typing,
// typing-stopped, conv-message (errors and system notes libpurple writes into a
// conversation), notify, request, authorize-request, cert-accepted, status-set,
// pong, error, timeout, quit, exit.
// Commands: set status <id> [message] | send im <uri> <text> | send typing <uri> |
//   add buddy <uri> [group] | remove buddy <uri> | list buddies | ping | quit
// Waits are bounded: --signin-timeout reports a timeout event, --lifetime quits,
// end of stdin quits, and quitting waits at most 3 s for the sign-off.
#define _GNU_SOURCE  // RTLD_NEXT
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <purple.h>

#define UI_ID "confab-sipe-driver"
#define SIPE_PLUGIN_ID "prpl-sipe"

// libpurple and glib keep long-lived allocations the driver does not own;
// LeakSanitizer would report them at exit and fail every run.
const char* __asan_default_options(void);
const char* __asan_default_options(void) { return "detect_leaks=0"; }

typedef struct {
  const char* user;
  const char* login;
  const char* password;
  const char* server;
  const char* transport;
  const char* user_agent;
  const char* auth;
  const char* plugin_dir;
  const char* user_dir;
  const char* trust_cert;
  gboolean debug;
  gboolean raw_libxml;
  gboolean accept_any_cert;
  gboolean keep_dir;
  int signin_timeout_s;
  int lifetime_s;
} Options;

static Options options = {
    .password = "secret",
    .transport = "tcp",
    .auth = "ntlm",
    .accept_any_cert = TRUE,
    .signin_timeout_s = 30,
    .lifetime_s = 600,
};
static GMainLoop* main_loop;
static PurpleAccount* account;
static gboolean signed_in;
static gboolean quitting;
static char* private_dir;  // removed at exit unless --keep-dir
static GString* stdin_line;

// libxml2 workaround ------------------------------------------------------------------------

// sipe parses every XML body (contact list, roaming-self, presence categories,
// SOAP answers) with xmlSAXUserParseMemory() and a handler that sets
// initialized = XML_SAX2_MAGIC but only the SAX1 startElement callback
// (src/core/sipe-xml.c). Debian 12's libxml2 2.9.14 then calls no element
// callback at all, so sipe_xml_parse() returns NULL for any document and sipe
// silently ignores all XML. The driver exports this function (ENABLE_EXPORTS),
// so it interposes the call from libsipe.so and presents such a handler as the
// SAX1 handler it is. --raw-libxml turns this off to see the unpatched client.
int xmlSAXUserParseMemory(xmlSAXHandlerPtr sax, void* user_data, const char* buffer, int size) {
  typedef int (*ParseFn)(xmlSAXHandlerPtr, void*, const char*, int);
  static ParseFn real;
  if (!real) real = (ParseFn)dlsym(RTLD_NEXT, "xmlSAXUserParseMemory");
  if (!real) return -1;
  if (!options.raw_libxml && sax && sax->initialized == XML_SAX2_MAGIC && !sax->startElementNs &&
      sax->startElement) {
    xmlSAXHandler sax1 = *sax;
    sax1.initialized = 1;
    return real(&sax1, user_data, buffer, size);
  }
  return real(sax, user_data, buffer, size);
}

// JSON output ----------------------------------------------------------------------------

static void json_append_string(GString* out, const char* text) {
  g_string_append_c(out, '"');
  for (const unsigned char* p = (const unsigned char*)(text ? text : ""); *p; ++p) {
    switch (*p) {
      case '"':
        g_string_append(out, "\\\"");
        break;
      case '\\':
        g_string_append(out, "\\\\");
        break;
      case '\n':
        g_string_append(out, "\\n");
        break;
      case '\r':
        g_string_append(out, "\\r");
        break;
      case '\t':
        g_string_append(out, "\\t");
        break;
      default:
        if (*p < 0x20) {
          g_string_append_printf(out, "\\u%04x", *p);
        } else {
          g_string_append_c(out, (char)*p);
        }
    }
  }
  g_string_append_c(out, '"');
}

// emit("event", "key1", "value1", ..., NULL): string values only; a NULL value
// is written as JSON null.
static void emit(const char* event, ...) {
  GString* out = g_string_new("{\"event\":");
  json_append_string(out, event);
  va_list args;
  va_start(args, event);
  for (const char* key = va_arg(args, const char*); key; key = va_arg(args, const char*)) {
    const char* value = va_arg(args, const char*);
    g_string_append_c(out, ',');
    json_append_string(out, key);
    g_string_append_c(out, ':');
    if (value) {
      json_append_string(out, value);
    } else {
      g_string_append(out, "null");
    }
  }
  va_end(args);
  g_string_append(out, "}\n");
  fputs(out->str, stdout);
  fflush(stdout);
  g_string_free(out, TRUE);
}

// Event loop: libpurple's GLib UI ops, as in libpurple's nullclient example ------------------

#define READ_COND (G_IO_IN | G_IO_HUP | G_IO_ERR)
#define WRITE_COND (G_IO_OUT | G_IO_HUP | G_IO_ERR | G_IO_NVAL)

typedef struct {
  PurpleInputFunction function;
  guint result;
  gpointer data;
} IoClosure;

static void io_destroy(gpointer data) { g_free(data); }

static gboolean io_invoke(GIOChannel* source, GIOCondition condition, gpointer data) {
  IoClosure* closure = data;
  int purple_cond = 0;
  if (condition & READ_COND) purple_cond |= PURPLE_INPUT_READ;
  if (condition & WRITE_COND) purple_cond |= PURPLE_INPUT_WRITE;
  closure->function(closure->data, g_io_channel_unix_get_fd(source),
                    (PurpleInputCondition)purple_cond);
  return TRUE;
}

static guint input_add(gint fd, PurpleInputCondition condition, PurpleInputFunction function,
                       gpointer data) {
  IoClosure* closure = g_new0(IoClosure, 1);
  closure->function = function;
  closure->data = data;
  int cond = 0;
  if (condition & PURPLE_INPUT_READ) cond |= READ_COND;
  if (condition & PURPLE_INPUT_WRITE) cond |= WRITE_COND;
  GIOChannel* channel = g_io_channel_unix_new(fd);
  closure->result = g_io_add_watch_full(channel, G_PRIORITY_DEFAULT, (GIOCondition)cond, io_invoke,
                                        closure, io_destroy);
  g_io_channel_unref(channel);
  return closure->result;
}

static PurpleEventLoopUiOps eventloop_ops = {
    .timeout_add = g_timeout_add,
    .timeout_remove = g_source_remove,
    .input_add = input_add,
    .input_remove = g_source_remove,
    .timeout_add_seconds = g_timeout_add_seconds,
};

// Debug output: libpurple's and sipe's log, on stderr when --debug ----------------------------

static void debug_print(PurpleDebugLevel level, const char* category, const char* text) {
  (void)level;
  fprintf(stderr, "%s: %s%s", category ? category : "-", text,
          text && *text && text[strlen(text) - 1] == '\n' ? "" : "\n");
}

static gboolean debug_enabled(PurpleDebugLevel level, const char* category) {
  (void)level;
  (void)category;
  return options.debug;
}

static PurpleDebugUiOps debug_ops = {
    .print = debug_print,
    .is_enabled = debug_enabled,
};

// Prompts: no user, so answer them ---------------------------------------------------------

typedef struct {
  GCallback callback;
  void* user_data;
  int index;
} PendingAction;

static gboolean run_action(gpointer data) {
  PendingAction* action = data;
  ((PurpleRequestActionCb)action->callback)(action->user_data, action->index);
  g_free(action);
  return FALSE;
}

// The certificate prompt of libpurple's tls_cached verifier (self-signed, unknown
// peer, name mismatch) offers "Accept" first. Answered from an idle callback:
// the verifier frees its request when answered, so not while it is still inside
// purple_request_action().
static void* request_action(const char* title, const char* primary, const char* secondary,
                            int default_action, PurpleAccount* acct, const char* who,
                            PurpleConversation* conv, void* user_data, size_t action_count,
                            va_list actions) {
  (void)default_action;
  (void)acct;
  (void)who;
  (void)conv;
  gboolean is_certificate = title && strstr(title, "SSL Certificate") != NULL;
  for (size_t i = 0; i < action_count; ++i) {
    const char* label = va_arg(actions, const char*);
    GCallback callback = va_arg(actions, GCallback);
    if (is_certificate && options.accept_any_cert && label && strstr(label, "Accept") && callback) {
      emit("cert-accepted", "title", title, "primary", primary, "secondary", secondary, NULL);
      PendingAction* action = g_new0(PendingAction, 1);
      action->callback = callback;
      action->user_data = user_data;
      action->index = (int)i;
      g_idle_add(run_action, action);
      return NULL;
    }
  }
  emit("request", "title", title, "primary", primary, "secondary", secondary, NULL);
  return NULL;
}

static PurpleRequestUiOps request_ops = {
    .request_action = request_action,
};

static void* notify_message(PurpleNotifyMsgType type, const char* title, const char* primary,
                            const char* secondary) {
  const char* kind = type == PURPLE_NOTIFY_MSG_ERROR     ? "error"
                     : type == PURPLE_NOTIFY_MSG_WARNING ? "warning"
                                                         : "info";
  emit("notify", "kind", kind, "title", title, "primary", primary, "secondary", secondary, NULL);
  return NULL;
}

static void* notify_formatted(const char* title, const char* primary, const char* secondary,
                              const char* text) {
  emit("notify", "kind", "formatted", "title", title, "primary", primary, "secondary", secondary,
       "text", text, NULL);
  return NULL;
}

static PurpleNotifyUiOps notify_ops = {
    .notify_message = notify_message,
    .notify_formatted = notify_formatted,
};

// Someone asks to see our presence: allow, and say so.
static void* request_authorize(PurpleAccount* acct, const char* remote_user, const char* id,
                               const char* alias, const char* message, gboolean on_list,
                               PurpleAccountRequestAuthorizationCb authorize_cb,
                               PurpleAccountRequestAuthorizationCb deny_cb, void* user_data) {
  (void)acct;
  (void)id;
  (void)deny_cb;
  emit("authorize-request", "from", remote_user, "alias", alias, "message", message, "on_list",
       on_list ? "true" : "false", NULL);
  if (authorize_cb) authorize_cb(user_data);
  return NULL;
}

static PurpleAccountUiOps account_ops = {
    .request_authorize = request_authorize,
};

static const char* message_kind(PurpleMessageFlags flags) {
  if (flags & PURPLE_MESSAGE_ERROR) return "error";
  if (flags & PURPLE_MESSAGE_SYSTEM) return "system";
  if (flags & PURPLE_MESSAGE_SEND) return "sent";
  if (flags & PURPLE_MESSAGE_RECV) return "received";
  return "other";
}

// IMs are reported from signals; this catches what sipe writes into a
// conversation otherwise (delivery failures, system notes).
static void write_conv(PurpleConversation* conv, const char* name, const char* alias,
                       const char* message, PurpleMessageFlags flags, time_t mtime) {
  (void)alias;
  (void)mtime;
  if (flags & (PURPLE_MESSAGE_ERROR | PURPLE_MESSAGE_SYSTEM)) {
    emit("conv-message", "kind", message_kind(flags), "conversation",
         purple_conversation_get_name(conv), "who", name, "text", message, NULL);
  }
}

static PurpleConversationUiOps conversation_ops = {
    .write_conv = write_conv,
};

// Reported from the buddy list's update hook, which libpurple calls on every
// presence change, whenever a buddy's (status, message) pair changes: the
// "buddy-status-changed" signal is not emitted for every update sipe makes.
static GHashTable* last_buddy_status;  // buddy name -> "status\nmessage"

static void blist_update(PurpleBuddyList* list, PurpleBlistNode* node) {
  (void)list;
  if (!node || !PURPLE_BLIST_NODE_IS_BUDDY(node)) return;
  PurpleBuddy* buddy = (PurpleBuddy*)node;
  if (purple_buddy_get_account(buddy) != account) return;
  PurpleStatus* status = purple_presence_get_active_status(purple_buddy_get_presence(buddy));
  if (!status) return;
  const char* id = purple_status_get_id(status);
  const char* message = purple_status_get_attr_string(status, "message");
  char* key = g_strdup_printf("%s\n%s", id, message ? message : "");
  const char* name = purple_buddy_get_name(buddy);
  if (g_strcmp0(g_hash_table_lookup(last_buddy_status, name), key) == 0) {
    g_free(key);
    return;
  }
  g_hash_table_replace(last_buddy_status, g_strdup(name), key);
  emit("buddy-status", "uri", name, "status", id, "message", message, "online",
       purple_status_is_online(status) ? "true" : "false", NULL);
}

static PurpleBlistUiOps blist_ops = {
    .update = blist_update,
};

static void ui_init(void) {
  purple_request_set_ui_ops(&request_ops);
  purple_notify_set_ui_ops(&notify_ops);
  purple_accounts_set_ui_ops(&account_ops);
  purple_conversations_set_ui_ops(&conversation_ops);
  purple_blist_set_ui_ops(&blist_ops);
}

static PurpleCoreUiOps core_ops = {
    .ui_init = ui_init,
};

// Signals ----------------------------------------------------------------------------------

static void quit_soon(void);

static void on_signed_on(PurpleConnection* gc, gpointer data) {
  (void)data;
  if (purple_connection_get_account(gc) != account) return;
  signed_in = TRUE;
  emit("signed-in", "user", purple_account_get_username(account), NULL);
}

static void on_signed_off(PurpleConnection* gc, gpointer data) {
  (void)data;
  if (purple_connection_get_account(gc) != account) return;
  signed_in = FALSE;
  emit("signed-off", NULL);
}

static void on_connection_error(PurpleConnection* gc, PurpleConnectionError reason,
                                const char* description, gpointer data) {
  (void)data;
  if (purple_connection_get_account(gc) != account) return;
  char code[16];
  g_snprintf(code, sizeof code, "%d", (int)reason);
  emit("connection-error", "reason", code, "message", description, NULL);
}

static const char* buddy_group_name(PurpleBuddy* buddy) {
  PurpleGroup* group = purple_buddy_get_group(buddy);
  return group ? purple_group_get_name(group) : NULL;
}

static void on_buddy_added(PurpleBuddy* buddy, gpointer data) {
  (void)data;
  emit("buddy-added", "uri", purple_buddy_get_name(buddy), "group", buddy_group_name(buddy),
       "alias", purple_buddy_get_alias_only(buddy), NULL);
}

static void on_buddy_removed(PurpleBuddy* buddy, gpointer data) {
  (void)data;
  emit("buddy-removed", "uri", purple_buddy_get_name(buddy), NULL);
}

static void on_received_im(PurpleAccount* acct, char* sender, char* message,
                           PurpleConversation* conv, PurpleMessageFlags flags, gpointer data) {
  (void)conv;
  (void)data;
  if (acct != account) return;
  char* plain = purple_markup_strip_html(message);
  emit("im", "from", sender, "text", plain, "html", message, "kind", message_kind(flags), NULL);
  g_free(plain);
}

static void on_sent_im(PurpleAccount* acct, const char* receiver, const char* message,
                       gpointer data) {
  (void)data;
  if (acct != account) return;
  emit("im-sent", "to", receiver, "text", message, NULL);
}

// Group chat (persistent chat rooms, sipe-groupchat.c): joins and posts seen by libpurple.
static void on_chat_joined(PurpleConversation* conv, gpointer data) {
  (void)data;
  if (purple_conversation_get_account(conv) != account) return;
  emit("chat-joined", "name", purple_conversation_get_name(conv), "title",
       purple_conversation_get_title(conv), NULL);
}

static void on_received_chat(PurpleAccount* acct, char* sender, char* message,
                             PurpleConversation* conv, PurpleMessageFlags flags, gpointer data) {
  (void)data;
  if (acct != account) return;
  char* plain = purple_markup_strip_html(message);
  emit("chat", "from", sender, "text", plain, "room", purple_conversation_get_name(conv), "kind",
       message_kind(flags), NULL);
  g_free(plain);
}

// The chat's user list (multiparty IM, sipe-incoming.c: sipe_backend_chat_add/remove):
// who libpurple shows in the conversation.
static void on_chat_buddy_joined(PurpleConversation* conv, const char* name,
                                 PurpleConvChatBuddyFlags flags, gboolean new_arrival,
                                 gpointer data) {
  (void)flags;
  (void)data;
  if (purple_conversation_get_account(conv) != account) return;
  emit("chat-user-joined", "name", name, "room", purple_conversation_get_name(conv), "new",
       new_arrival ? "1" : "0", NULL);
}

static void on_chat_buddy_left(PurpleConversation* conv, const char* name, const char* reason,
                               gpointer data) {
  (void)reason;
  (void)data;
  if (purple_conversation_get_account(conv) != account) return;
  emit("chat-user-left", "name", name, "room", purple_conversation_get_name(conv), NULL);
}

static void on_typing(PurpleAccount* acct, const char* name, gpointer data) {
  (void)data;
  if (acct != account) return;
  emit("typing", "from", name, NULL);
}

static void on_typing_stopped(PurpleAccount* acct, const char* name, gpointer data) {
  (void)data;
  if (acct != account) return;
  emit("typing-stopped", "from", name, NULL);
}

static void connect_signals(void) {
  static int handle;
  purple_signal_connect(purple_connections_get_handle(), "signed-on", &handle,
                        PURPLE_CALLBACK(on_signed_on), NULL);
  purple_signal_connect(purple_connections_get_handle(), "signed-off", &handle,
                        PURPLE_CALLBACK(on_signed_off), NULL);
  purple_signal_connect(purple_connections_get_handle(), "connection-error", &handle,
                        PURPLE_CALLBACK(on_connection_error), NULL);
  purple_signal_connect(purple_blist_get_handle(), "buddy-added", &handle,
                        PURPLE_CALLBACK(on_buddy_added), NULL);
  purple_signal_connect(purple_blist_get_handle(), "buddy-removed", &handle,
                        PURPLE_CALLBACK(on_buddy_removed), NULL);
  purple_signal_connect(purple_conversations_get_handle(), "received-im-msg", &handle,
                        PURPLE_CALLBACK(on_received_im), NULL);
  purple_signal_connect(purple_conversations_get_handle(), "sent-im-msg", &handle,
                        PURPLE_CALLBACK(on_sent_im), NULL);
  purple_signal_connect(purple_conversations_get_handle(), "chat-joined", &handle,
                        PURPLE_CALLBACK(on_chat_joined), NULL);
  purple_signal_connect(purple_conversations_get_handle(), "received-chat-msg", &handle,
                        PURPLE_CALLBACK(on_received_chat), NULL);
  purple_signal_connect(purple_conversations_get_handle(), "chat-buddy-joined", &handle,
                        PURPLE_CALLBACK(on_chat_buddy_joined), NULL);
  purple_signal_connect(purple_conversations_get_handle(), "chat-buddy-left", &handle,
                        PURPLE_CALLBACK(on_chat_buddy_left), NULL);
  purple_signal_connect(purple_conversations_get_handle(), "buddy-typing", &handle,
                        PURPLE_CALLBACK(on_typing), NULL);
  purple_signal_connect(purple_conversations_get_handle(), "buddy-typing-stopped", &handle,
                        PURPLE_CALLBACK(on_typing_stopped), NULL);
}

// Commands ---------------------------------------------------------------------------------

// sipe names buddies "sip:user@domain"; accept the URI with or without the scheme.
static char* buddy_uri(const char* text) {
  return g_str_has_prefix(text, "sip:") ? g_strdup(text) : g_strconcat("sip:", text, NULL);
}

static void command_set_status(const char* args) {
  char** parts = g_strsplit(args, " ", 2);
  const char* id = parts[0];
  const char* message = parts[0] ? parts[1] : NULL;
  if (!id || !*id || !purple_account_get_status_type(account, id)) {
    emit("error", "command", "set status", "message", "unknown status id", "status", id, NULL);
  } else {
    if (message && *message) {
      purple_account_set_status(account, id, TRUE, "message", message, NULL);
    } else {
      purple_account_set_status(account, id, TRUE, NULL);
    }
    emit("status-set", "status", id, "message", message, NULL);
  }
  g_strfreev(parts);
}

static void command_send_im(const char* args) {
  char** parts = g_strsplit(args, " ", 2);
  if (!parts[0] || !*parts[0] || !parts[1]) {
    emit("error", "command", "send im", "message", "usage: send im <uri> <text>", NULL);
  } else {
    char* uri = buddy_uri(parts[0]);
    PurpleConversation* conv =
        purple_find_conversation_with_account(PURPLE_CONV_TYPE_IM, uri, account);
    if (!conv) conv = purple_conversation_new(PURPLE_CONV_TYPE_IM, account, uri);
    purple_conv_im_send(PURPLE_CONV_IM(conv), parts[1]);
    g_free(uri);
  }
  g_strfreev(parts);
}

static void command_send_typing(const char* args) {
  char* uri = buddy_uri(args);
  serv_send_typing(purple_account_get_connection(account), uri, PURPLE_TYPING);
  g_free(uri);
}

static void command_add_buddy(const char* args) {
  char** parts = g_strsplit(args, " ", 2);
  if (!parts[0] || !*parts[0]) {
    emit("error", "command", "add buddy", "message", "usage: add buddy <uri> [group]", NULL);
  } else {
    char* uri = buddy_uri(parts[0]);
    const char* group_name = parts[1] && *parts[1] ? parts[1] : "Other Contacts";
    PurpleGroup* group = purple_find_group(group_name);
    if (!group) {
      group = purple_group_new(group_name);
      purple_blist_add_group(group, NULL);
    }
    PurpleBuddy* buddy = purple_find_buddy_in_group(account, uri, group);
    if (!buddy) {
      buddy = purple_buddy_new(account, uri, NULL);
      purple_blist_add_buddy(buddy, NULL, group, NULL);
    }
    purple_account_add_buddy(account, buddy);
    g_free(uri);
  }
  g_strfreev(parts);
}

static void command_remove_buddy(const char* args) {
  char* uri = buddy_uri(args);
  PurpleBuddy* buddy = purple_find_buddy(account, uri);
  if (!buddy) {
    emit("error", "command", "remove buddy", "message", "no such buddy", "uri", uri, NULL);
  } else {
    purple_account_remove_buddy(account, buddy, purple_buddy_get_group(buddy));
    purple_blist_remove_buddy(buddy);
  }
  g_free(uri);
}

// "join chat ma-chan://…": sipe's chat join component is the room URI ("uri").
static void command_join_chat(const char* uri) {
  PurpleConnection* gc = purple_account_get_connection(account);
  if (!gc || !*uri) {
    emit("error", "command", "join chat", "message", gc ? "no uri" : "not connected", NULL);
    return;
  }
  GHashTable* components = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_insert(components, g_strdup("uri"), g_strdup(uri));
  serv_join_chat(gc, components);
  g_hash_table_destroy(components);
}

// "send chat <room name> <text>": the room name is the conversation's name or title, or "*".
static void command_send_chat(const char* args) {
  const char* space = strchr(args, ' ');
  char* name = space ? g_strndup(args, (gsize)(space - args)) : g_strdup(args);
  PurpleConversation* found = NULL;
  for (GList* item = purple_get_chats(); item && space; item = item->next) {
    PurpleConversation* conv = item->data;
    // "*": the account's (only) chat, for names with spaces such as sipe's "Chat #1".
    if (purple_conversation_get_account(conv) == account &&
        (g_strcmp0(name, "*") == 0 || g_strcmp0(purple_conversation_get_name(conv), name) == 0 ||
         g_strcmp0(purple_conversation_get_title(conv), name) == 0)) {
      found = conv;
    }
  }
  if (!found) {
    emit("error", "command", "send chat", "message", "no such chat", "room", name, NULL);
  } else {
    purple_conv_chat_send(PURPLE_CONV_CHAT(found), space + 1);
  }
  g_free(name);
}

static void command_list_buddies(void) {
  GSList* buddies = purple_find_buddies(account, NULL);
  for (GSList* item = buddies; item; item = item->next) {
    PurpleBuddy* buddy = item->data;
    PurpleStatus* status = purple_presence_get_active_status(purple_buddy_get_presence(buddy));
    emit("buddy", "uri", purple_buddy_get_name(buddy), "group", buddy_group_name(buddy), "status",
         status ? purple_status_get_id(status) : NULL, "message",
         status ? purple_status_get_attr_string(status, "message") : NULL, NULL);
  }
  g_slist_free(buddies);
  emit("buddies-end", NULL);
}

static void run_command(const char* line) {
  if (g_str_has_prefix(line, "set status ")) {
    command_set_status(line + strlen("set status "));
  } else if (g_str_has_prefix(line, "send im ")) {
    command_send_im(line + strlen("send im "));
  } else if (g_str_has_prefix(line, "send typing ")) {
    command_send_typing(line + strlen("send typing "));
  } else if (g_str_has_prefix(line, "add buddy ")) {
    command_add_buddy(line + strlen("add buddy "));
  } else if (g_str_has_prefix(line, "remove buddy ")) {
    command_remove_buddy(line + strlen("remove buddy "));
  } else if (g_str_has_prefix(line, "join chat ")) {
    command_join_chat(line + strlen("join chat "));
  } else if (g_str_has_prefix(line, "send chat ")) {
    command_send_chat(line + strlen("send chat "));
  } else if (strcmp(line, "list buddies") == 0) {
    command_list_buddies();
  } else if (strcmp(line, "ping") == 0) {
    emit("pong", "signed_in", signed_in ? "true" : "false", NULL);
  } else if (strcmp(line, "quit") == 0) {
    quit_soon();
  } else if (*line) {
    emit("error", "message", "unknown command", "command", line, NULL);
  }
}

static gboolean on_stdin(GIOChannel* source, GIOCondition condition, gpointer data) {
  (void)data;
  char buffer[4096];
  ssize_t n = 0;
  if (condition & G_IO_IN) {
    n = read(g_io_channel_unix_get_fd(source), buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return TRUE;
  }
  if (n <= 0) {  // EOF or error: the test went away
    quit_soon();
    return FALSE;
  }
  g_string_append_len(stdin_line, buffer, n);
  char* newline;
  while ((newline = memchr(stdin_line->str, '\n', stdin_line->len)) != NULL) {
    size_t length = (size_t)(newline - stdin_line->str);
    char* line = g_strndup(stdin_line->str, length);
    g_string_erase(stdin_line, 0, (gssize)length + 1);
    g_strstrip(line);
    if (!quitting) run_command(line);
    g_free(line);
  }
  return TRUE;
}

// Lifetime ---------------------------------------------------------------------------------

static gboolean stop_loop(gpointer data) {
  (void)data;
  g_main_loop_quit(main_loop);
  return FALSE;
}

static gboolean wait_signed_off(gpointer data) {
  (void)data;
  if (!purple_account_is_disconnected(account)) return TRUE;
  g_main_loop_quit(main_loop);
  return FALSE;
}

// Signing off lets sipe send its un-REGISTER and unSUBSCRIBEs; bounded at 3 s.
static void quit_soon(void) {
  if (quitting) return;
  quitting = TRUE;
  emit("quit", NULL);
  purple_account_set_enabled(account, UI_ID, FALSE);
  g_timeout_add(50, wait_signed_off, NULL);
  g_timeout_add(3000, stop_loop, NULL);
}

static gboolean on_signin_timeout(gpointer data) {
  (void)data;
  if (!signed_in && !quitting) {
    emit("timeout", "what", "sign-in", NULL);
  }
  return FALSE;
}

static gboolean on_lifetime_over(gpointer data) {
  (void)data;
  emit("timeout", "what", "lifetime", NULL);
  quit_soon();
  return FALSE;
}

// Set-up -----------------------------------------------------------------------------------

static void usage(FILE* out) {
  fputs(
      "usage: sipe_driver --user URI --server HOST:PORT [options]\n"
      "  --user URI            SIP URI without scheme, e.g. alice@example.test\n"
      "  --login LOGIN         login if different (DOMAIN\\user or user@domain)\n"
      "  --password PASSWORD   default \"secret\" (a trusted network does not check it)\n"
      "  --server HOST:PORT    confabd's address\n"
      "  --transport tcp|tls   default tcp\n"
      "  --user-agent UA       sipe's User-Agent (default: sipe's own)\n"
      "  --auth ntlm|krb5|tls-dsk|auto   sipe authentication scheme (default ntlm)\n"
      "  --trust-cert PEM      trust this server certificate (seeds libpurple's tls_peers\n"
      "                        cache for the --server host: how a self-signed one passes)\n"
      "  --reject-certs        do not accept an unverifiable TLS certificate at a prompt\n"
      "  --user-dir DIR        libpurple's config dir (default: a new temporary dir)\n"
      "  --keep-dir            keep the temporary config dir\n"
      "  --plugin-dir DIR      extra directory to search for libsipe.so\n"
      "  --signin-timeout S    report {\"event\":\"timeout\"} after S seconds (default 30)\n"
      "  --lifetime S          quit after S seconds whatever happens (default 600)\n"
      "  --debug               libpurple/sipe debug log on stderr\n"
      "  --raw-libxml          no libxml2 workaround (sipe then ignores every XML body)\n",
      out);
}

static int parse_options(int argc, char** argv) {
  enum {
    kUser = 1,
    kLogin,
    kPassword,
    kServer,
    kTransport,
    kUserAgent,
    kAuth,
    kRejectCerts,
    kTrustCert,
    kUserDir,
    kKeepDir,
    kPluginDir,
    kSigninTimeout,
    kLifetime,
    kDebug,
    kRawLibxml,
    kHelp
  };
  static const struct option long_options[] = {
      {"user", required_argument, NULL, kUser},
      {"login", required_argument, NULL, kLogin},
      {"password", required_argument, NULL, kPassword},
      {"server", required_argument, NULL, kServer},
      {"transport", required_argument, NULL, kTransport},
      {"user-agent", required_argument, NULL, kUserAgent},
      {"auth", required_argument, NULL, kAuth},
      {"reject-certs", no_argument, NULL, kRejectCerts},
      {"trust-cert", required_argument, NULL, kTrustCert},
      {"user-dir", required_argument, NULL, kUserDir},
      {"keep-dir", no_argument, NULL, kKeepDir},
      {"plugin-dir", required_argument, NULL, kPluginDir},
      {"signin-timeout", required_argument, NULL, kSigninTimeout},
      {"lifetime", required_argument, NULL, kLifetime},
      {"debug", no_argument, NULL, kDebug},
      {"raw-libxml", no_argument, NULL, kRawLibxml},
      {"help", no_argument, NULL, kHelp},
      {NULL, 0, NULL, 0},
  };
  int c;
  while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
    switch (c) {
      case kUser:
        options.user = optarg;
        break;
      case kLogin:
        options.login = optarg;
        break;
      case kPassword:
        options.password = optarg;
        break;
      case kServer:
        options.server = optarg;
        break;
      case kTransport:
        options.transport = optarg;
        break;
      case kUserAgent:
        options.user_agent = optarg;
        break;
      case kAuth:
        options.auth = optarg;
        break;
      case kRejectCerts:
        options.accept_any_cert = FALSE;
        break;
      case kTrustCert:
        options.trust_cert = optarg;
        break;
      case kUserDir:
        options.user_dir = optarg;
        break;
      case kKeepDir:
        options.keep_dir = TRUE;
        break;
      case kPluginDir:
        options.plugin_dir = optarg;
        break;
      case kSigninTimeout:
        options.signin_timeout_s = atoi(optarg);
        break;
      case kLifetime:
        options.lifetime_s = atoi(optarg);
        break;
      case kDebug:
        options.debug = TRUE;
        break;
      case kRawLibxml:
        options.raw_libxml = TRUE;
        break;
      case kHelp:
        usage(stdout);
        exit(0);
      default:
        usage(stderr);
        return -1;
    }
  }
  if (!options.user || !options.server) {
    usage(stderr);
    return -1;
  }
  if (strcmp(options.transport, "tcp") != 0 && strcmp(options.transport, "tls") != 0) {
    fprintf(stderr, "--transport must be tcp or tls\n");
    return -1;
  }
  if (options.signin_timeout_s <= 0 || options.lifetime_s <= 0) {
    fprintf(stderr, "timeouts must be positive\n");
    return -1;
  }
  return 0;
}

// libpurple's tls_cached verifier accepts a peer whose certificate equals the
// one cached under the host name, without the NSS chain check. That check fails
// fatally for a self-signed leaf (CA:FALSE cannot sign itself), and a fatal
// failure is never offered to the user, so seeding the cache is the only way.
static int seed_trusted_certificate(void) {
  char* host;  // "host:port", "[v6]:port" or a bare host
  if (options.server[0] == '[') {
    const char* end = strchr(options.server, ']');
    host = g_strndup(options.server + 1, end ? (size_t)(end - options.server - 1) : 0);
  } else {
    const char* colon = strchr(options.server, ':');
    host = colon && !strchr(colon + 1, ':')
               ? g_strndup(options.server, (size_t)(colon - options.server))
               : g_strdup(options.server);
  }
  char* pem = NULL;
  GError* error = NULL;
  int status = 0;
  if (!g_file_get_contents(options.trust_cert, &pem, NULL, &error)) {
    emit("error", "message", error->message, "what", "--trust-cert", NULL);
    status = -1;
  } else {
    char* dir = g_build_filename(purple_user_dir(), "certificates", "x509", "tls_peers", NULL);
    char* path = g_build_filename(dir, host, NULL);
    if (g_mkdir_with_parents(dir, 0700) != 0 || !g_file_set_contents(path, pem, -1, &error)) {
      emit("error", "message", error ? error->message : "mkdir failed", "what", "--trust-cert",
           NULL);
      status = -1;
    }
    g_free(path);
    g_free(dir);
  }
  g_clear_error(&error);
  g_free(pem);
  g_free(host);
  return status;
}

static int setup_purple(void) {
  if (options.user_dir) {
    purple_util_set_user_dir(options.user_dir);
  } else {
    GError* error = NULL;
    private_dir = g_dir_make_tmp("sipe-driver-XXXXXX", &error);
    if (!private_dir) {
      emit("error", "message", error ? error->message : "mkdtemp failed", NULL);
      g_clear_error(&error);
      return -1;
    }
    purple_util_set_user_dir(private_dir);
  }
  // Not purple_debug_set_enabled(): that also prints everything with g_print().
  // sipe logs when libpurple's debug is verbose or unsafe, and includes the SIP
  // messages it sends and receives only when it is unsafe.
  purple_debug_set_enabled(FALSE);
  purple_debug_set_verbose(options.debug);
  purple_debug_set_unsafe(options.debug);
  if (options.trust_cert && seed_trusted_certificate() != 0) return -1;
  purple_debug_set_ui_ops(&debug_ops);
  purple_core_set_ui_ops(&core_ops);
  purple_eventloop_set_ui_ops(&eventloop_ops);
  if (options.plugin_dir) purple_plugins_add_search_path(options.plugin_dir);
  if (!purple_core_init(UI_ID)) {
    emit("error", "message", "purple_core_init failed", NULL);
    return -1;
  }
  // sipe seeds rand() with time(NULL) when it loads and draws Call-IDs, tags and
  // branches from it: two drivers started in the same second would send the same
  // ones. Reseed per process so that consecutive tests do not collide.
  srand((unsigned)g_get_monotonic_time() ^ ((unsigned)getpid() << 16));
  purple_set_blist(purple_blist_new());
  purple_blist_load();
  purple_prefs_load();
  // No idle reporting: the test decides the status.
  purple_prefs_set_string("/purple/away/idle_reporting", "none");
  purple_prefs_set_bool("/purple/away/away_when_idle", FALSE);
  purple_pounces_load();
  connect_signals();
  if (!purple_find_prpl(SIPE_PLUGIN_ID)) {
    emit("error", "message",
         "protocol plugin " SIPE_PLUGIN_ID
         " not found (apt-get install "
         "pidgin-sipe)",
         NULL);
    return -1;
  }
  return 0;
}

static void create_account(void) {
  // sipe reads "<sip uri>,<login>" as the account name.
  char* username =
      options.login ? g_strconcat(options.user, ",", options.login, NULL) : g_strdup(options.user);
  account = purple_account_new(username, SIPE_PLUGIN_ID);
  g_free(username);
  purple_account_set_password(account, options.password);
  purple_account_set_remember_password(account, FALSE);
  purple_account_set_string(account, "server", options.server);
  purple_account_set_string(account, "transport", options.transport);
  purple_account_set_string(account, "authentication", options.auth);
  if (options.user_agent) purple_account_set_string(account, "useragent", options.user_agent);
  // No calendar: sipe would otherwise start Exchange autodiscovery (DNS and
  // HTTP to the outside world) a minute after signing in.
  purple_account_set_bool(account, "dont-publish", TRUE);
  purple_accounts_add(account);
  purple_account_set_enabled(account, UI_ID, TRUE);
  PurpleSavedStatus* status = purple_savedstatus_new(NULL, PURPLE_STATUS_AVAILABLE);
  purple_savedstatus_activate(status);
}

static void remove_dir(const char* path) {
  GDir* dir = g_dir_open(path, 0, NULL);
  if (dir) {
    const char* name;
    while ((name = g_dir_read_name(dir)) != NULL) {
      char* child = g_build_filename(path, name, NULL);
      if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK)) {
        remove_dir(child);
      } else {
        g_unlink(child);
      }
      g_free(child);
    }
    g_dir_close(dir);
  }
  g_rmdir(path);
}

int main(int argc, char** argv) {
  if (parse_options(argc, argv) != 0) return 2;
  main_loop = g_main_loop_new(NULL, FALSE);
  stdin_line = g_string_new(NULL);
  last_buddy_status = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  int status = 0;
  if (setup_purple() != 0) {
    status = 1;
  } else {
    create_account();
    GIOChannel* in = g_io_channel_unix_new(STDIN_FILENO);
    g_io_add_watch(in, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, NULL);
    g_io_channel_unref(in);
    g_timeout_add_seconds((guint)options.signin_timeout_s, on_signin_timeout, NULL);
    g_timeout_add_seconds((guint)options.lifetime_s, on_lifetime_over, NULL);
    emit("ready", "user_dir", purple_user_dir(), "sipe",
         purple_plugin_get_version(purple_find_prpl(SIPE_PLUGIN_ID)), NULL);
    g_main_loop_run(main_loop);
    purple_core_quit();
  }
  emit("exit", NULL);
  if (private_dir && !options.keep_dir) remove_dir(private_dir);
  g_free(private_dir);
  g_string_free(stdin_line, TRUE);
  g_hash_table_destroy(last_buddy_status);
  g_main_loop_unref(main_loop);
  return status;
}
