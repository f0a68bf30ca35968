// SPDX-License-Identifier: Apache-2.0
// Stateful forwarding (RFC 3261 §16.6-§16.10): one client transaction per
// target, in parallel; provisional and 2xx responses are passed upstream at
// once, other finals are kept until every branch has answered and the best
// one is sent (§16.7 step 6, challenges merged per step 7). An INVITE's other
// branches are cancelled on a 2xx or 6xx, and a CANCEL from upstream cancels
// them all. A target with alternate hops fails over to the next one when its
// hop fails (transport error, timeout, 503; RFC 3263 §4.3). One instance per
// shard; it owns the contexts it forwards.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/routing/request_context.h"
#include "proxy/transaction/client_transaction.h"

namespace proxy::routing {

class ShardRouter;

class ForkingProxy {
 public:
  explicit ForkingProxy(ShardRouter& router);
  ~ForkingProxy();
  ForkingProxy(const ForkingProxy&) = delete;
  ForkingProxy& operator=(const ForkingProxy&) = delete;

  // Forwards ctx->request to every entry of ctx->targets (each with its own
  // Request-URI and flow). Takes ownership of `ctx`; answers it in the end.
  void start(ContextPtr ctx);

  // A CANCEL matched the INVITE server transaction `txn` (RFC 3261 §16.10).
  // False when we forward nothing for it.
  bool cancel(transaction::ServerTransactionId txn);

  size_t active() const { return forks_.size(); }

 private:
  struct Branch {
    transaction::ClientTransactionId id = 0;
    int status = 0;                        // final status, 0 while pending
    std::optional<sip::SipMessage> final;  // kept non-2xx final
    size_t hop = 0;                        // 0: the target's flow; n: its alternates[n - 1]
  };
  struct Fork {
    uint64_t id = 0;
    ContextPtr ctx;
    std::vector<Target> targets;  // by branch index
    std::vector<Branch> branches;
    bool final_sent = false;
    bool cancelled = false;
    bool is_invite = false;
  };

  bool startBranch(Fork& fork, size_t index);
  // A final from this hop that means "try the next one" (RFC 3263 §4.3), and it exists.
  bool shouldFailOver(const Fork& fork, size_t index, const sip::SipMessage& response) const;
  void onResponse(uint64_t fork_id, size_t index, sip::SipMessage&& response, bool final);
  void cancelPending(Fork& fork, size_t except);
  void sendBest(Fork& fork);
  void forwardUpstream(Fork& fork, sip::SipMessage&& response);
  void maybeFinish(uint64_t fork_id);
  void destroy(uint64_t fork_id);

  ShardRouter& router_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<Fork>> forks_;
  std::unordered_map<transaction::ServerTransactionId, uint64_t> by_txn_;
};

}  // namespace proxy::routing
