// SPDX-License-Identifier: Apache-2.0
// The state one request carries through the pipeline on its owner shard: the
// message, the flow it came in on, its server transaction, and what the stages
// decided so far (authenticated user, targets). Ownership moves with the
// request: a stage that pauses takes the unique_ptr and hands it back later.
// Shard-thread only.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/sip/sip_message.h"
#include "proxy/transaction/server_transaction.h"
#include "proxy/transport/transport.h"

namespace proxy::routing {

class ShardRouter;

// A further way to the same target, tried when the previous one failed.
struct AlternateHop {
  transport::Flow flow;
  std::string tls_name;  // see Target::tls_name
};

// Edits the copy of the request sent to one target, before our Via goes on top,
// and returns extra parameters for that Via (";lh=..."); used at the federation
// edge for topology hiding and loop detection.
using BranchFilter = std::function<std::string(sip::SipMessage& copy)>;

// One place to send a forwarded copy of the request.
struct Target {
  Target() = default;
  Target(std::string uri_in, std::optional<transport::Flow> flow_in)
      : uri(std::move(uri_in)), flow(std::move(flow_in)) {}

  std::string uri;                      // the Request-URI of the copy
  std::optional<transport::Flow> flow;  // the flow to use; nullopt: resolve from `uri`
  // TLS without a connection: the domain the peer's certificate must name (RFC 5922).
  std::string tls_name;
  // Tried in order when `flow` fails (transport error, timeout, 503): RFC 3263 §4.3.
  std::vector<AlternateHop> alternates;
  BranchFilter filter;        // null: the copy goes as it is
  bool restore_vias = false;  // `filter` removed the Vias below ours: restore them on responses
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
  // Domains a TLS peer proved with its certificate (transport::Inbound); null otherwise.
  std::shared_ptr<const std::vector<std::string>> tls_peer_names;
  // The federated domain the request verifiably came from; "" for our own side.
  std::string federated_peer;
  // Applied to every response relayed upstream (topology hiding towards a peer).
  std::function<void(sip::SipMessage& response)> upstream_filter;

  // True for requests inside a dialog (RFC 3261 §12.2: the To has a tag).
  bool inDialog() const;
  // Who sent it: the authenticated AOR, else the From AOR ("" when not SIP).
  std::string senderAor() const;
};

using ContextPtr = std::unique_ptr<RequestContext>;

}  // namespace proxy::routing
