// SPDX-License-Identifier: Apache-2.0
#include "adapters/http_presence/http_response.h"

#include <algorithm>

#include "adapters/lws_common/lws_io.h"

namespace adapters::http_presence {

using lws_io::addHeader;
using lws_io::writeWithPre;

std::string dumpJson(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string corsOriginFor(const Config& config, const std::string& origin) {
  if (origin.empty() || !config.originAllowed(origin)) {
    return {};
  }
  const bool any = std::find(config.cors_origins.begin(), config.cors_origins.end(), "*") !=
                   config.cors_origins.end();
  return any ? "*" : origin;
}

int addCors(lws* wsi, const Session& s, unsigned char** p, unsigned char* end) {
  if (s.cors_origin.empty()) {
    return 0;
  }
  if (addHeader(wsi, "access-control-allow-origin:", s.cors_origin, p, end) != 0) {
    return -1;
  }
  return s.cors_origin == "*" ? 0 : addHeader(wsi, "vary:", "Origin", p, end);
}

int respond(lws* wsi, Session& s, unsigned status, std::string_view content_type,
            std::string_view body, const ExtraHeaders& extra) {
  HeaderBlock h(2048);
  const std::string type(content_type);
  if (lws_add_http_common_headers(wsi, status, type.c_str(), body.size(), &h.p, h.end) != 0 ||
      addCors(wsi, s, &h.p, h.end) != 0) {
    return -1;
  }
  for (const auto& [name, value] : extra) {
    if (addHeader(wsi, name, value, &h.p, h.end) != 0) {
      return -1;
    }
  }
  if (lws_finalize_write_http_header(wsi, h.start, &h.p, h.end) != 0) {
    return -1;
  }
  if (!body.empty() && writeWithPre(wsi, body, LWS_WRITE_HTTP_FINAL) < 0) {
    return -1;
  }
  s.kind = Session::Kind::kIdle;
  return lws_http_transaction_completed(wsi) != 0 ? -1 : 0;
}

int respondJson(lws* wsi, Session& s, unsigned status, const nlohmann::json& body,
                const ExtraHeaders& extra) {
  return respond(wsi, s, status, "application/json", dumpJson(body), extra);
}

int respondError(lws* wsi, Session& s, unsigned status, const std::string& message,
                 const ExtraHeaders& extra) {
  return respondJson(wsi, s, status, {{"error", message}}, extra);
}

}  // namespace adapters::http_presence
