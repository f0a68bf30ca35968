// SPDX-License-Identifier: Apache-2.0
// GET /v1/presence/stream?users=a,b: Server-Sent Events, a snapshot of each user, then one event
// per change. The stream stays open until the client leaves (streams.cpp writes it).
#include "adapters/http_presence/http_response.h"
#include "adapters/http_presence/http_util.h"
#include "adapters/http_presence/server_impl.h"
#include "adapters/lws_common/lws_io.h"

namespace adapters::http_presence {

// Checks a stream's user list: 0 when fine, else the status to answer and why (`why`).
unsigned PresenceServer::Impl::checkStreamUsers(const Session& s,
                                                const std::vector<std::string>& users,
                                                std::string& why) {
  if (users.empty() || users.size() > config.max_batch) {
    why = "between 1 and " + std::to_string(config.max_batch) + " users";
    return 400;
  }
  for (const std::string& u : users) {
    if (const int refused = userRefusal(*s.token, u); refused != 0) {
      why = refused == 400 ? "not an AOR" : "token may not see " + u;
      return static_cast<unsigned>(refused);
    }
  }
  return 0;
}

int PresenceServer::Impl::openSse(lws* wsi, Session& s) {
  std::vector<std::string> users;
  for (const std::string& u : splitComma(urlArg(wsi, "users="))) {
    users.push_back(normaliseAor(u));
  }
  std::string why;
  if (const unsigned refused = checkStreamUsers(s, users, why); refused != 0) {
    return respondError(wsi, s, refused, why);
  }
  if (listenerCount() >= config.max_listeners) {
    count("listeners_refused");
    return respondError(wsi, s, 503, "too many listeners", {{"retry-after:", "5"}});
  }
  HeaderBlock h(1024);
  if (lws_add_http_common_headers(wsi, 200, "text/event-stream", LWS_ILLEGAL_HTTP_CONTENT_LEN, &h.p,
                                  h.end) != 0 ||
      lws_io::addHeader(wsi, "cache-control:", "no-cache", &h.p, h.end) != 0 ||
      addCors(wsi, s, &h.p, h.end) != 0 ||
      lws_finalize_write_http_header(wsi, h.start, &h.p, h.end) != 0) {
    return -1;
  }
  lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);  // it lives until the client leaves
  s.kind = Session::Kind::kSse;
  streams.insert(&s);
  count("sse_listeners");
  enqueue(s, std::make_shared<const std::string>("retry: 2000\n: confab presence stream\n\n"));
  for (const std::string& u : users) {
    const int status = ensureCached(u);
    if (status == 200) {
      watch(s, u);
    } else {
      nlohmann::json e = {{"id", u}, {"status", status}};
      enqueue(s, std::make_shared<const std::string>("event: unavailable\ndata: " + dumpJson(e) +
                                                     "\n\n"));
    }
  }
  return 0;
}

}  // namespace adapters::http_presence
