// SPDX-License-Identifier: Apache-2.0
// The XCAP server (RFC 4825) for users' contact lists, application usage resource-lists
// (RFC 4826), plus xcap-caps. HTTP runs on its own thread (proxy::http::RequestServer);
// each request is authenticated there (HTTP Digest over the SIP users, http_digest.h),
// then posted to the shard that owns the document's user, which runs the operation on
// the stored contact list (runXcap) and, when it changed, stores it and tells its
// watchers exactly as a SOAP edit does: roaming-contacts subscribers get the deltas,
// `;list=` subscribers a full NOTIFY with the new members. The answer goes back to the
// HTTP thread; nothing on a shard ever waits for HTTP.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core-server/presence/stages/ms_presence.h"
#include "core-server/presence/stages/standard_eventlist.h"
#include "core-server/presence/xcap/http_digest.h"
#include "core-server/presence/xcap/xcap_operations.h"
#include "proxy/http/http_requests.h"

namespace core::presence::xcap {

struct XcapServerOptions {
  proxy::http::HttpServerOptions http;
  std::string root = "/xcap";  // the XCAP root's path
  XcapLimits limits;
  DigestOptions digest;
};

// One operation, as it travels to the owner shard.
struct XcapOperation {
  std::string method;
  NodeSelector node;
  std::string body;
  XcapConditions conditions;
};

// Runs `task` on the shard owning `aor` with that shard's MsPresence and list
// subscriptions; both null when that shard is stopping.
using OwnerRunner = std::function<void(
    const std::string& aor, std::function<void(MsPresence* ms, StandardEventList* lists)> task)>;

class XcapServer {
 public:
  static proxy::Result<std::unique_ptr<XcapServer>> start(
      XcapServerOptions options, std::shared_ptr<const registrar::UserTable> users,
      OwnerRunner run_on_owner, const proxy::Clock& clock);
  ~XcapServer();

  uint16_t port() const { return http_->port(); }
  // "http://127.0.0.1:5080/xcap"
  std::string rootUrl() const { return http_->baseUrl() + options_.root; }
  void setUsers(std::shared_ptr<const registrar::UserTable> users) { digest_->setUsers(users); }

 private:
  XcapServer() = default;
  void handle(proxy::http::HttpRequest request, proxy::http::Reply reply);

  XcapServerOptions options_;
  OwnerRunner run_on_owner_;
  std::unique_ptr<HttpDigest> digest_;
  std::unique_ptr<proxy::http::RequestServer> http_;  // last: stopped first
};

// On the owner shard: runs `op` on aor's contact list and applies a change (store,
// roaming-contacts deltas, list subscribers' NOTIFYs).
XcapOutcome runOnShard(MsPresence& ms, StandardEventList* lists, const std::string& aor,
                       const XcapOperation& op, const XcapLimits& limits);

// The xcap-caps document (RFC 4825 §12).
std::string capsDocument();

}  // namespace core::presence::xcap
