// SPDX-License-Identifier: Apache-2.0
#include "proxy/routing/forking_proxy.h"

#include "proxy/base/log.h"
#include "proxy/routing/record_route.h"
#include "proxy/routing/routing_counters.h"
#include "proxy/routing/shard_router.h"
#include "proxy/transaction/transaction_layer.h"

namespace proxy::routing {
namespace {

// Requests that may create a dialog get our Record-Route, so in-dialog requests
// come back through us and can follow the flows (RFC 3261 §16.6 step 4).
bool createsDialog(sip::Method m) {
  return m == sip::Method::Invite || m == sip::Method::Subscribe || m == sip::Method::Refer;
}

// RFC 3261 §16.7 step 6: 6xx beats everything, otherwise the lowest class.
int rank(int status) { return status >= 600 ? 0 : status; }

// A final we made up ourselves (timeout, dead flow) carries no To tag.
bool isSynthetic(const sip::SipMessage& response) {
  const auto& to = response.to();
  return to && to->tag().empty();
}

}  // namespace

ForkingProxy::ForkingProxy(ShardRouter& router) : router_(router) {}

ForkingProxy::~ForkingProxy() {
  for (auto& [id, fork] : forks_) {
    for (const Branch& b : fork->branches) {
      if (b.id != 0) {
        router_.transactions().detachClient(b.id);
      }
    }
  }
}

void ForkingProxy::start(ContextPtr ctx) {
  auto fork = std::make_unique<Fork>();
  fork->id = next_id_++;
  fork->is_invite = ctx->request.method() == sip::Method::Invite;
  fork->targets = std::move(ctx->targets);
  fork->ctx = std::move(ctx);
  fork->branches.resize(fork->targets.size());
  Fork& f = *fork;
  forks_.emplace(f.id, std::move(fork));
  by_txn_[f.ctx->txn] = f.id;
  if (auto* txn = router_.transactions().findServer(f.ctx->txn)) {
    uint64_t id = f.id;
    txn->setOnTerminated([this, id] { destroy(id); });
  }
  bool any = false;
  for (size_t i = 0; i < f.targets.size(); ++i) {
    any |= startBranch(f, i);
  }
  if (!any) {  // nothing could be sent: say why (404 no route, 500 internal)
    int status = f.branches.empty() ? 480 : f.branches.front().status;
    router_.reply(*f.ctx, status);
    f.final_sent = true;
    destroy(f.id);
  }
}

bool ForkingProxy::startBranch(Fork& fork, size_t index) {
  const Target& target = fork.targets[index];
  const size_t hop = fork.branches[index].hop;
  sip::SipMessage& request = fork.ctx->request;
  std::optional<transport::Flow> flow =
      hop == 0 ? target.flow : std::optional(target.alternates[hop - 1].flow);
  const std::string& tls_name = hop == 0 ? target.tls_name : target.alternates[hop - 1].tls_name;
  request.setRequestUri(target.uri);
  if (!flow) {
    flow = router_.nextHopFor(request);
  }
  if (!flow) {
    fork.branches[index].status = 404;
    return false;
  }
  bool record = createsDialog(request.method()) && !fork.ctx->inDialog();
  if (record) {
    std::string caller = fork.ctx->flow.token();
    // The hop actually used (an alternate after a failover) is the callee's side.
    std::string callee = target.flow ? flow->token() : std::string();
    request.prependHeader(sip::HeaderName::RecordRoute,
                          makeRecordRouteFor(flow->protocol, router_.us(), caller, callee));
  }
  sip::SipMessage copy = request.clone();  // with this branch's edits, no re-parse
  if (record) {
    request.removeFirst(sip::HeaderName::RecordRoute);
  }
  std::string sent_by = router_.us().sentBy(flow->protocol);
  if (target.filter) {
    sent_by += target.filter(copy);  // its Via parameters follow the sent-by
  }
  if (!tls_name.empty() && flow->connection_id == 0) {
    router_.rememberTlsName(flow->remote, tls_name);
  }
  RoutingCounters::get().forwarded.add();
  uint64_t fork_id = fork.id;
  fork.branches[index].id = router_.transactions().sendRequest(
      std::move(copy), *flow, sent_by,
      [this, fork_id, index](sip::SipMessage&& response, bool final) {
        onResponse(fork_id, index, std::move(response), final);
      });
  return true;
}

void ForkingProxy::onResponse(uint64_t fork_id, size_t index, sip::SipMessage&& response,
                              bool final) {
  auto it = forks_.find(fork_id);
  if (it == forks_.end()) {
    return;
  }
  Fork& fork = *it->second;
  response.removeFirst(sip::HeaderName::Via);  // ours (RFC 3261 §16.7 step 3)
  if (fork.targets[index].restore_vias) {
    // Topology hiding sent only our Via: the upstream ones come from the original.
    response.removeAll(sip::HeaderName::Via);
    for (std::string_view via : fork.ctx->request.headers(sip::HeaderName::Via)) {
      response.appendHeader(sip::HeaderName::Via, std::string(via));
    }
  }
  int status = response.statusCode();
  if (final && shouldFailOver(fork, index, response)) {
    Branch& branch = fork.branches[index];
    router_.transactions().detachClient(branch.id);
    branch.id = 0;
    ++branch.hop;
    LOG_DEBUG("fork %llu: hop %zu of target %zu failed (%d), trying the next",
              static_cast<unsigned long long>(fork_id), branch.hop, index, status);
    if (startBranch(fork, index)) {
      return;
    }
    branch.status = 0;  // startBranch set 404: fall through with the hop's own answer
  }
  if (!final) {
    if (status > 100 && !fork.final_sent) {
      forwardUpstream(fork, std::move(response));
    }
    return;
  }
  Branch& branch = fork.branches[index];
  bool first_final = branch.status == 0;
  branch.status = status;
  if (status < 300) {
    // 2xx go upstream at once, including further 2xx of a forked INVITE (RFC 6026).
    forwardUpstream(fork, std::move(response));
    fork.final_sent = true;
    if (fork.is_invite && first_final) {
      cancelPending(fork, index);
    }
  } else {
    branch.final = std::move(response);
    if (status >= 600 && fork.is_invite) {
      cancelPending(fork, index);
    }
  }
  maybeFinish(fork_id);
}

bool ForkingProxy::shouldFailOver(const Fork& fork, size_t index,
                                  const sip::SipMessage& response) const {
  const Branch& branch = fork.branches[index];
  if (fork.cancelled || fork.final_sent || branch.hop >= fork.targets[index].alternates.size()) {
    return false;
  }
  const int status = response.statusCode();
  return status == 503 || (status == 408 && isSynthetic(response));
}

void ForkingProxy::cancelPending(Fork& fork, size_t except) {
  for (size_t i = 0; i < fork.branches.size(); ++i) {
    if (i != except && fork.branches[i].status == 0 && fork.branches[i].id != 0) {
      router_.transactions().cancelClient(fork.branches[i].id);
    }
  }
}

bool ForkingProxy::cancel(transaction::ServerTransactionId txn) {
  auto it = by_txn_.find(txn);
  if (it == by_txn_.end()) {
    return false;
  }
  auto fork = forks_.find(it->second);
  if (fork == forks_.end()) {
    return false;
  }
  fork->second->cancelled = true;
  cancelPending(*fork->second, fork->second->branches.size());
  return true;
}

void ForkingProxy::forwardUpstream(Fork& fork, sip::SipMessage&& response) {
  if (fork.ctx->upstream_filter) {
    fork.ctx->upstream_filter(response);
  }
  int status = response.statusCode();
  std::string bytes = response.serialize();
  router_.trace("relay", fork.ctx->flow, bytes);
  router_.replyBytes(*fork.ctx, status, std::move(bytes));
}

void ForkingProxy::sendBest(Fork& fork) {
  Branch* best = nullptr;
  for (Branch& b : fork.branches) {
    if (b.final && (best == nullptr || rank(b.status) < rank(best->status))) {
      best = &b;
    }
  }
  if (best == nullptr) {
    int status = fork.branches.empty() ? 480 : fork.branches.front().status;
    router_.reply(*fork.ctx, status >= 300 ? status : 480);
    return;
  }
  sip::SipMessage& chosen = *best->final;
  int status = chosen.statusCode();
  if (isSynthetic(chosen) && (status == 408 || status == 503)) {
    router_.reply(*fork.ctx, 480, "Temporarily Unavailable");  // every endpoint was gone
    return;
  }
  if (status == 401 || status == 407) {  // RFC 3261 §16.7 step 7: merge challenges
    for (Branch& b : fork.branches) {
      if (&b == best || !b.final) {
        continue;
      }
      for (auto name : {sip::HeaderName::WwwAuthenticate, sip::HeaderName::ProxyAuthenticate}) {
        for (std::string_view value : b.final->headers(name)) {
          chosen.appendHeader(name, std::string(value));
        }
      }
    }
  }
  if (status == 503) {  // RFC 3261 §16.7 step 6: do not pass on a downstream overload
    router_.reply(*fork.ctx, 500, "Server Internal Error");
    return;
  }
  forwardUpstream(fork, std::move(chosen));
}

void ForkingProxy::maybeFinish(uint64_t fork_id) {
  auto it = forks_.find(fork_id);
  if (it == forks_.end()) {
    return;
  }
  Fork& fork = *it->second;
  for (const Branch& b : fork.branches) {
    if (b.status == 0) {
      return;
    }
  }
  if (!fork.final_sent) {
    fork.final_sent = true;
    sendBest(fork);
  }
  if (!fork.is_invite) {
    destroy(fork_id);  // an INVITE fork lives on to relay late 2xx until its transaction ends
  }
}

void ForkingProxy::destroy(uint64_t fork_id) {
  auto it = forks_.find(fork_id);
  if (it == forks_.end()) {
    return;
  }
  Fork& fork = *it->second;
  for (const Branch& b : fork.branches) {
    if (b.id != 0) {
      router_.transactions().detachClient(b.id);
    }
  }
  if (auto* txn = router_.transactions().findServer(fork.ctx->txn)) {
    txn->setOnTerminated({});
  }
  by_txn_.erase(fork.ctx->txn);
  forks_.erase(it);
}

}  // namespace proxy::routing
