// SPDX-License-Identifier: Apache-2.0
// The state one request carries through the pipeline on its owner shard: the
// message, the flow it came in on, its server transaction, and what the stages
// decided so far (authenticated user, targets). Ownership moves with the
// request: a stage that pauses takes the unique_ptr and hands it back later.
// Shard-thread only.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/sip/sip_message.h"
#include "proxy/transaction/server_transaction.h"
#include "proxy/transport/transport.h"

namespace proxy::routing {

class ShardRouter;

// One place to send a forwarded copy of the request.
struct Target {
  std::string uri;                      // the Request-URI of the copy
  std::optional<transport::Flow> flow;  // the flow to use; nullopt: resolve from `uri`
};

struct RequestContext {
  RequestContext(sip::SipMessage&& req, const transport::Flow& from, ShardRouter& owner)
      : request(std::move(req)), flow(from), router(owner) {}

  sip::SipMessage request;
  transport::Flow flow;  // where the request came from; responses go back on it
  transaction::ServerTransactionId txn = 0;
  ShardRouter& router;
  size_t next_stage = 0;
  std::string authenticated_aor;  // set by the auth stage when credentials were checked
  std::vector<Target> targets;    // filled by the location / loose-route stages
  // Flow tokens recovered from our own Route entries (see record_route.h).
  std::vector<std::string> route_flow_tokens;

  // True for requests inside a dialog (RFC 3261 §12.2: the To has a tag).
  bool inDialog() const;
};

using ContextPtr = std::unique_ptr<RequestContext>;

}  // namespace proxy::routing
