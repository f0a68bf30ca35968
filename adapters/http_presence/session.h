// SPDX-License-Identifier: Apache-2.0
// One HTTP or WebSocket connection of the presence API, as the request handlers and the
// streams see it, and the limits that bound what a connection may hold.
#pragma once

#include <libwebsockets.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/http_presence/config.h"

namespace adapters::http_presence {

constexpr std::string_view kApiPrefix = "/v1/presence/";
constexpr size_t kMaxBody = 64 * 1024;
constexpr size_t kMaxOutboxBytes = 1024 * 1024;  // a listener this far behind is dropped

inline int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using Frame = std::shared_ptr<const std::string>;  // one event, shared by all its listeners

struct Session {
  enum class Kind { kIdle, kAwaitBody, kPending, kSse, kWs };
  lws* wsi = nullptr;
  Kind kind = Kind::kIdle;
  bool is_put = false;
  std::string cors_origin;  // Access-Control-Allow-Origin to send ("" = none)
  const TokenConfig* token = nullptr;
  std::string path_user;  // the {aor} of GET/PUT
  std::string body;
  bool body_too_large = false;  // answered with 413 once the body is complete
  bool batch = false;
  std::vector<std::string> users;  // asked for (pending lookups) or watched (listeners)
  std::vector<int> status;         // per user of a pending lookup: 200, 403, 404, 503
  int64_t deadline_ms = 0;
  std::deque<Frame> outbox;
  size_t outbox_bytes = 0;
  std::string ws_rx;
  bool dropping = false;

  bool isStream() const { return kind == Kind::kSse || kind == Kind::kWs; }
};

struct Pss {  // lws per-session storage (allocated zeroed by lws): just our session
  Session* session;
};

}  // namespace adapters::http_presence
