// SPDX-License-Identifier: Apache-2.0
// PresenceServer: the HTTP presence API on libwebsockets, running on the plugin's libuv loop
// (the host's per-plugin thread; nothing here is shared with SIP workers).
//
//   GET  /v1/presence/{aor}           one user's presence (404 unknown user)
//   POST /v1/presence/batch           {"users": [...]} → [{"id", "status", ...presence}]
//   PUT  /v1/presence/{identity}      publish presence for a plugin identity (presence:write)
//   GET  /v1/presence/stream?users=…  Server-Sent Events: a snapshot, then one event per change
//   GET  /v1/presence/ws              WebSocket: {"subscribe": [...]} / {"unsubscribe": [...]}
//   GET  /                            the example contact-list page
//
// Users asked about are subscribed at the host and kept in a bounded cache; entries nobody
// watches are unsubscribed after idle_unsubscribe_s.
#pragma once

#include <libwebsockets.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>

#include "adapters/api/confab_adapter.h"
#include "adapters/http_presence/config.h"
#include "proxy/base/result.h"

namespace adapters::http_presence {

class PresenceServer {
 public:
  static proxy::Result<std::unique_ptr<PresenceServer>> start(Config config,
                                                              const confab_host_api* api,
                                                              confab_host* host);
  ~PresenceServer();
  PresenceServer(const PresenceServer&) = delete;
  PresenceServer& operator=(const PresenceServer&) = delete;

  void onPresence(const confab_presence& presence);
  // Closes every connection and the listener, and frees the server on the loop once
  // libwebsockets has finished with it (a few loop iterations later).
  static void shutdown(std::unique_ptr<PresenceServer> server);
  uint16_t port() const;

  struct Impl;

 private:
  explicit PresenceServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace adapters::http_presence
