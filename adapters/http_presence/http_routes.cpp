// SPDX-License-Identifier: Apache-2.0
// Request routing: the example page, CORS preflight, then authenticated /v1/presence/ calls
// handed to the REST handlers or the SSE stream.
#include "adapters/http_presence/http_response.h"
#include "adapters/http_presence/http_util.h"
#include "adapters/http_presence/server_impl.h"

extern const char kConfabHttpPresenceIndexHtml[];  // web/index.html, embedded at build time

namespace adapters::http_presence {

int PresenceServer::Impl::onHttp(lws* wsi, Pss* pss, std::string_view uri) {
  if (pss->session == nullptr) {
    pss->session = new Session();
  }
  Session& s = *pss->session;
  s = Session();
  s.wsi = wsi;
  const std::string origin = header(wsi, WSI_TOKEN_ORIGIN);
  s.cors_origin = corsOriginFor(config, origin);
  const bool get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
  const bool post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
  const bool put = lws_hdr_total_length(wsi, WSI_TOKEN_PUT_URI) > 0;
  const bool options = lws_hdr_total_length(wsi, WSI_TOKEN_OPTIONS_URI) > 0;
  if (options) {
    return preflight(wsi, s, origin);
  }
  if (get && (uri == "/" || uri == "/index.html")) {
    return respond(wsi, s, 200, "text/html; charset=utf-8", kConfabHttpPresenceIndexHtml);
  }
  if (!uri.starts_with(kApiPrefix)) {
    return respondError(wsi, s, 404, "not found");
  }
  count("requests");
  const std::string_view rest = uri.substr(kApiPrefix.size());
  uint32_t retry_after = 0;
  if (const unsigned refused = admit(wsi, s, retry_after); refused != 0) {
    if (refused == 429) {
      return respondError(wsi, s, 429, "rate limit exceeded",
                          {{"retry-after:", std::to_string(retry_after)}});
    }
    return respondError(wsi, s, refused, "missing or unknown bearer token",
                        {{"www-authenticate:", "Bearer realm=\"confab\""}});
  }
  if (put) {
    if (!s.token->can_write) {
      return respondError(wsi, s, 403, "token lacks scope presence:write");
    }
    s.path_user = normaliseAor(rest);
    s.is_put = true;
    s.kind = Session::Kind::kAwaitBody;
    return 0;
  }
  if (!s.token->can_read) {
    return respondError(wsi, s, 403, "token lacks scope presence:read");
  }
  if (post && rest == "batch") {
    s.batch = true;
    s.kind = Session::Kind::kAwaitBody;
    return 0;  // the body follows
  }
  if (!get) {
    return respondError(wsi, s, 405, "method not allowed");
  }
  if (rest == "stream") {
    return openSse(wsi, s);
  }
  const std::string aor = normaliseAor(rest);
  if (aor.empty()) {
    return respondError(wsi, s, 400, "not an AOR");
  }
  s.users = {aor};
  return lookup(wsi, s);
}

int PresenceServer::Impl::preflight(lws* wsi, Session& s, const std::string& origin) {
  if (origin.empty() || s.cors_origin.empty()) {
    count("cors_refused");
    return respondError(wsi, s, 403, "origin not allowed");
  }
  return respond(wsi, s, 204, "text/plain", "",
                 {{"access-control-allow-methods:", "GET, POST, PUT, OPTIONS"},
                  {"access-control-allow-headers:", "Authorization, Content-Type"},
                  {"access-control-max-age:", "600"}});
}

}  // namespace adapters::http_presence
