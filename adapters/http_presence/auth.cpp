// SPDX-License-Identifier: Apache-2.0
#include "adapters/http_presence/auth.h"

#include "adapters/http_presence/http_util.h"
#include "adapters/http_presence/server_impl.h"

namespace adapters::http_presence {

std::string bearerToken(lws* wsi) {
  const std::string auth = header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
  if (auth.size() > 7 && lower(auth.substr(0, 7)) == "bearer ") {
    return auth.substr(7);
  }
  return urlArg(wsi, "access_token=");
}

// Authenticates and rate-limits an API request: 0 = go ahead, else the status to answer.
unsigned PresenceServer::Impl::admit(lws* wsi, Session& s, uint32_t& retry_after) {
  const std::string token = bearerToken(wsi);
  s.token = config.findToken(token);
  if (s.token == nullptr) {
    count(token.empty() ? "unauthenticated" : "bad_token");
    return 401;
  }
  retry_after = rateLimit(*s.token);
  return retry_after != 0 ? 429 : 0;
}

// 0 when the token may make another request now, else the seconds to wait (counted).
uint32_t PresenceServer::Impl::rateLimit(const TokenConfig& token) {
  const uint32_t retry_after = limiter.admit(token.token, nowMs());
  if (retry_after != 0) {
    count("rate_limited");
  }
  return retry_after;
}

int PresenceServer::Impl::userRefusal(const TokenConfig& token, const std::string& aor) {
  if (aor.empty()) {
    return 400;
  }
  return token.users.allows(aor) ? 0 : 403;
}

}  // namespace adapters::http_presence
