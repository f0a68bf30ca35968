// SPDX-License-Identifier: Apache-2.0
// Writing answers on a libwebsockets connection: CORS headers and whole responses with a JSON or
// text body (the lws plumbing is adapters/lws_common, shared with click_to_chat).
#pragma once

#include <libwebsockets.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/http_presence/config.h"
#include "adapters/http_presence/session.h"

namespace adapters::http_presence {

using ExtraHeaders = std::vector<std::pair<const char*, std::string>>;  // {"name:", value}

// Response headers being built, in a buffer with the LWS_PRE headroom lws writes them from.
struct HeaderBlock {
  explicit HeaderBlock(size_t capacity)
      : buf(LWS_PRE + capacity, '\0'),
        start(reinterpret_cast<unsigned char*>(buf.data() + LWS_PRE)),
        p(start),
        end(reinterpret_cast<unsigned char*>(buf.data() + buf.size() - 1)) {}
  HeaderBlock(const HeaderBlock&) = delete;  // the pointers point into buf
  HeaderBlock& operator=(const HeaderBlock&) = delete;

  std::string buf;
  unsigned char* start;
  unsigned char* p;
  unsigned char* end;
};

// JSON text for a client; invalid UTF-8 (a user's note) is replaced rather than thrown on.
std::string dumpJson(const nlohmann::json& j);

// The Access-Control-Allow-Origin value for a request's Origin ("" = send none).
std::string corsOriginFor(const Config& config, const std::string& origin);

// Access-Control-Allow-Origin (and Vary when it names the origin) for the session's origin.
int addCors(lws* wsi, const Session& s, unsigned char** p, unsigned char* end);

// A complete response; the session is idle again afterwards. -1 closes the connection.
int respond(lws* wsi, Session& s, unsigned status, std::string_view content_type,
            std::string_view body, const ExtraHeaders& extra = {});
int respondJson(lws* wsi, Session& s, unsigned status, const nlohmann::json& body,
                const ExtraHeaders& extra = {});
// {"error": message}
int respondError(lws* wsi, Session& s, unsigned status, const std::string& message,
                 const ExtraHeaders& extra = {});

}  // namespace adapters::http_presence
