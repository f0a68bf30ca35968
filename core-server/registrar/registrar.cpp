// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/registrar.h"

#include <algorithm>
#include <utility>
#include <variant>
#include <vector>

#include "core-server/registrar/register_response.h"
#include "proxy/base/counters.h"
#include "proxy/base/log.h"

namespace core::registrar {
namespace {

namespace sip = proxy::sip;
using proxy::counters::Counter;

struct RegistrarCounters {
  Counter requests = proxy::counters::get("registrar.register");
  Counter ok = proxy::counters::get("registrar.ok");
  Counter rejected = proxy::counters::get("registrar.rejected");
  Counter challenged = proxy::counters::get("registrar.challenged");
  Counter stateless_challenges = proxy::counters::get("registrar.challenged_stateless");
  Counter store_failed = proxy::counters::get("registrar.store_failed");
};

const RegistrarCounters& stats() {
  static const RegistrarCounters counters;
  return counters;
}

// Remembers the last host found local: a REGISTER asks about its Request-URI and
// To hosts, nearly always the one domain, and the predicate (a scan of the
// configured domains) never changes its answer (RegistrarOptions).
std::function<bool(std::string_view)> rememberLastLocal(
    std::function<bool(std::string_view)> is_local) {
  if (!is_local) {
    return is_local;
  }
  return [is_local = std::move(is_local), last = std::string()](std::string_view host) mutable {
    if (!last.empty() && host == last) {
      return true;
    }
    if (!is_local(host)) {
      return false;
    }
    last.assign(host);
    return true;
  };
}

}  // namespace

// The store writes of one request; completions count `outstanding` down.
struct Registrar::Commit {
  Commit(Pending&& p, BindingPlan&& pl) : pending(std::move(p)), plan(std::move(pl)) {}

  Pending pending;
  BindingPlan plan;
  size_t outstanding = 0;
  // Writes that did not commit (rare, so nothing is allocated for the others),
  // numbered across the removals, then the puts.
  std::vector<size_t> failed;

  bool committed(size_t write) const {
    return std::find(failed.begin(), failed.end(), write) == failed.end();
  }
};

Registrar::Registrar(RegistrarOptions options, LocationService& location, Authenticator& auth,
                     storage::Store& store, storage::Poster poster, const proxy::Clock& clock)
    : options_(std::move(options)),
      location_(location),
      auth_(auth),
      store_(store),
      poster_(std::move(poster)),
      clock_(clock) {
  options_.is_local_domain = rememberLastLocal(std::move(options_.is_local_domain));
}

Registrar::~Registrar() = default;

ExpiryLimits Registrar::limits() const {
  return ExpiryLimits{options_.min_expires, options_.max_expires, options_.default_expires};
}

// RFC 3261 §10.3 steps 1-6, none of which looks at bindings. Replies and returns
// nullopt when the request fails one of them.
std::optional<RegisterRequest> Registrar::admit(const sip::SipMessage& req,
                                                const proxy::transport::Flow& flow,
                                                const Reply& reply, bool authenticated) {
  stats().requests.add();
  // To is checked before authentication so a request we would refuse anyway
  // (RFC 4475 unksm2) gets its 400 rather than a pointless challenge.
  auto aor = registerAor(req, options_.is_local_domain);
  if (!aor) {
    stats().rejected.add();
    reply(buildRegisterError(req, aor.error(), options_.min_expires));
    return std::nullopt;
  }
  if (options_.challenge_register && !authenticated && !auth_.trusted(flow.remote)) {
    const AuthOutcome outcome = auth_.check(req, /*proxy=*/false, *aor);
    if (const auto* challenge = std::get_if<Challenge>(&outcome)) {
      stats().challenged.add();
      reply(buildChallenge(req, auth_.challengeHeaders(challenge->stale, req)));
      return std::nullopt;
    }
    if (const auto* forbidden = std::get_if<Forbidden>(&outcome)) {
      stats().rejected.add();
      reply(buildRegisterError(req, proxy::Error{403, forbidden->reason}, options_.min_expires));
      return std::nullopt;
    }
  }
  auto parsed = parseRegister(req, std::move(*aor), limits());
  if (!parsed) {
    stats().rejected.add();
    reply(buildRegisterError(req, parsed.error(), options_.min_expires));
    return std::nullopt;
  }
  return std::move(*parsed);
}

std::optional<std::string> Registrar::statelessChallenge(const sip::SipMessage& req,
                                                         const proxy::transport::Flow& flow) {
  // Any Authorization (even for another realm, which is challenged all the same)
  // takes the full path: checking credentials here would only be done twice.
  if (req.method() != sip::Method::Register || !options_.challenge_register ||
      req.has(sip::HeaderName::Authorization) || req.has(sip::HeaderName::Require) ||
      req.has(sip::HeaderName::ProxyRequire) || auth_.trusted(flow.remote)) {
    return std::nullopt;
  }
  if (const auto& to = req.to(); !to || !to->tag().empty()) {
    return std::nullopt;
  }
  if (!checkRegisterTarget(req, options_.is_local_domain) ||
      !auth_.lacksCredentials(req, /*proxy=*/false)) {
    return std::nullopt;
  }
  stats().requests.add();
  stats().challenged.add();
  stats().stateless_challenges.add();
  return buildChallenge(req, auth_.challengeHeaders(/*stale=*/false, req));
}

void Registrar::handleRegister(const sip::SipMessage& req, const proxy::transport::Flow& flow,
                               Reply reply) {
  // The reply may be built after the caller's message is gone, and the parsed
  // request views the message's text: work on our own copy (serialize() carries
  // the caller's edits, e.g. Via received=).
  auto copy = sip::SipMessage::parse(req.serialize());
  if (!copy) {
    LOG_ERROR("registrar: a serialized REGISTER did not parse again: %s",
              copy.error().detail.c_str());
    reply(buildRegisterError(req, proxy::Error{500, "Server Internal Error"}, 0));
    return;
  }
  handleRegister(std::move(*copy), flow, std::move(reply));
}

void Registrar::handleRegister(sip::SipMessage&& req, const proxy::transport::Flow& flow,
                               Reply reply) {
  auto parsed = admit(req, flow, reply);
  if (parsed) {
    enqueue(Pending{std::move(req), flow, std::move(reply), std::move(*parsed)});
  }
}

void Registrar::handleAuthenticatedRegister(sip::SipMessage&& req,
                                            const proxy::transport::Flow& flow, Reply reply) {
  auto parsed = admit(req, flow, reply, /*authenticated=*/true);
  if (parsed) {
    enqueue(Pending{std::move(req), flow, std::move(reply), std::move(*parsed)});
  }
}

// The common case, an AOR with nothing in progress, starts at once and touches
// no queue; otherwise the request waits behind the AOR's earlier ones.
void Registrar::enqueue(Pending&& pending) {
  auto it = queues_.find(pending.parsed.aor);
  if (it == queues_.end()) {
    start(std::move(pending));
    return;
  }
  it->second.waiting.push_back(std::move(pending));
  pump(it->first);
}

// Runs the AOR's waiting requests in order until one waits for the store. A
// reply that re-enters (or a store that completes at once) finds `pumping` set
// and leaves the loop below to carry on.
void Registrar::pump(std::string_view aor) {
  auto it = queues_.find(aor);
  if (it == queues_.end() || it->second.pumping) {
    return;
  }
  // Nodes stay put when the map rehashes, and nested calls never erase this
  // one while `pumping` is set, so the key and the queue stay valid here.
  const std::string& key = it->first;
  AorQueue& q = it->second;
  q.pumping = true;
  while (!q.in_flight && !q.waiting.empty()) {
    Pending next = std::move(q.waiting.front());
    q.waiting.pop_front();
    start(std::move(next));
  }
  q.pumping = false;
  if (!q.in_flight && q.waiting.empty()) {
    release(queues_.find(key));  // `it` may have been invalidated by a rehash
  }
}

// The queue entry of `aor`, made if there is none. A request that writes takes
// one and gives it back when done, so entries are recycled rather than
// allocated (with their key) for every REGISTER.
Registrar::AorQueue& Registrar::claim(const std::string& aor) {
  if (spare_.empty()) {
    return queues_.try_emplace(aor).first->second;
  }
  spare_.key() = aor;  // fits in the spare's key unless this AOR is longer
  spare_.mapped() = AorQueue{};
  auto inserted = queues_.insert(std::move(spare_));
  if (!inserted.inserted) {
    spare_ = std::move(inserted.node);  // the AOR had an entry already
  }
  return inserted.position->second;
}

void Registrar::release(AorQueues::iterator it) { spare_ = queues_.extract(it); }

// RFC 3261 §10.3 steps 7-8 for one admitted request.
void Registrar::start(Pending&& p) {
  const int64_t now = clock_.unixSeconds();
  const auto current = location_.lookup(p.parsed.aor);
  auto plan =
      planBindings(p.parsed, current, PlanContext{p.flow, now, options_.max_contacts_per_aor});
  if (!plan) {
    stats().rejected.add();
    p.reply(buildRegisterError(p.req, plan.error(), options_.min_expires));
    return;
  }
  if (plan->empty()) {  // a fetch, or removing what is not there
    stats().ok.add();
    const auto granted = plan->has_granted ? std::optional<uint32_t>(plan->granted) : std::nullopt;
    p.reply(buildRegisterOk(p.req, current, granted, now));
    return;
  }
  persist(std::move(p), std::move(*plan));
}

void Registrar::persist(Pending&& pending, BindingPlan&& plan) {
  auto commit = std::make_shared<Commit>(std::move(pending), std::move(plan));
  const auto& removals = commit->plan.removals;
  const auto& puts = commit->plan.puts;
  commit->outstanding = removals.size() + puts.size();
  const std::string& aor = commit->pending.parsed.aor;
  claim(aor).in_flight = true;

  std::weak_ptr<bool> alive = alive_;
  auto done = [this, alive, commit](size_t i) {
    return [this, alive, commit, i](bool ok) {
      if (alive.expired()) {
        return;  // the registrar is gone (shutdown)
      }
      if (!ok) {
        commit->failed.push_back(i);
      }
      if (--commit->outstanding == 0) {
        finish(*commit);
      }
    };
  };
  // A store that completes at once may finish the commit inside this loop:
  // nothing below may touch the queue entry.
  for (size_t i = 0; i < removals.size(); ++i) {
    store_.deleteBinding(aor, removals[i], poster_, done(i));
  }
  for (size_t i = 0; i < puts.size(); ++i) {
    store_.saveBinding(puts[i].toRecord(aor), poster_, done(removals.size() + i));
  }
}

// Memory takes exactly the writes of `commit` that committed, so it always
// mirrors the store. Returns whether all of them did.
bool Registrar::applyCommitted(Commit& commit) {
  BindingPlan& plan = commit.plan;
  const std::string& aor = commit.pending.parsed.aor;
  if (commit.failed.empty()) {
    location_.apply(aor, plan.removals, std::move(plan.puts));  // the plan is spent: no copies
    return true;
  }
  std::vector<std::string> removals;
  std::vector<Binding> puts;
  for (size_t i = 0; i < plan.removals.size(); ++i) {
    if (commit.committed(i)) {
      removals.push_back(std::move(plan.removals[i]));
    }
  }
  for (size_t i = 0; i < plan.puts.size(); ++i) {
    if (commit.committed(plan.removals.size() + i)) {
      puts.push_back(std::move(plan.puts[i]));
    }
  }
  if (!removals.empty() || !puts.empty()) {
    location_.apply(aor, removals, std::move(puts));
  }
  return false;
}

// Every write of `commit` has completed; any failure answers 500 (§10.3: "the
// request MUST fail with a 500").
void Registrar::finish(Commit& commit) {
  Pending& p = commit.pending;
  const std::string& aor = p.parsed.aor;  // the completion running this holds `commit`
  const bool all_ok = applyCommitted(commit);
  const int64_t now = clock_.unixSeconds();
  if (all_ok) {
    stats().ok.add();
    const auto granted =
        commit.plan.has_granted ? std::optional<uint32_t>(commit.plan.granted) : std::nullopt;
    p.reply(buildRegisterOk(p.req, location_.lookup(aor), granted, now));
  } else {
    stats().store_failed.add();
    LOG_WARN("registrar: store write failed for %s", aor.c_str());
    p.reply(buildRegisterError(p.req, proxy::Error{500, "Server Internal Error"}, 0));
  }
  auto it = queues_.find(aor);
  if (it == queues_.end()) {
    return;
  }
  it->second.in_flight = false;
  if (it->second.waiting.empty() && !it->second.pumping) {
    release(it);  // what pump() would do, without finding the entry twice more
    return;
  }
  pump(aor);
}

}  // namespace core::registrar
