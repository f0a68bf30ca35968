// SPDX-License-Identifier: Apache-2.0
// Who a request is: its bearer token. Scope and rate-limit checks are PresenceServer::Impl
// members (auth.cpp), as they count into the plugin's counters.
#pragma once

#include <libwebsockets.h>

#include <string>

namespace adapters::http_presence {

// The bearer token of a request (header, or ?access_token= for EventSource and WebSocket,
// which cannot set headers).
std::string bearerToken(lws* wsi);

}  // namespace adapters::http_presence
