// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/registrar.h"

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
  Counter store_failed = proxy::counters::get("registrar.store_failed");
};

const RegistrarCounters& stats() {
  static const RegistrarCounters counters;
  return counters;
}

}  // namespace

// The store writes of one request; completions count `outstanding` down.
struct Registrar::Commit {
  Pending pending;
  BindingPlan plan;
  std::vector<bool> removal_ok, put_ok;
  size_t outstanding = 0;
};

Registrar::Registrar(RegistrarOptions options, LocationService& location, Authenticator& auth,
                     storage::Store& store, storage::Poster poster, const proxy::Clock& clock)
    : options_(std::move(options)),
      location_(location),
      auth_(auth),
      store_(store),
      poster_(std::move(poster)),
      clock_(clock) {}

Registrar::~Registrar() = default;

ExpiryLimits Registrar::limits() const {
  return ExpiryLimits{options_.min_expires, options_.max_expires, options_.default_expires};
}

// RFC 3261 §10.3 steps 1-6, none of which looks at bindings. Replies and returns
// nullopt when the request fails one of them.
std::optional<RegisterRequest> Registrar::admit(const sip::SipMessage& req,
                                                const proxy::transport::Flow& flow,
                                                const Reply& reply) {
  stats().requests.add();
  // To is checked before authentication so a request we would refuse anyway
  // (RFC 4475 unksm2) gets its 400 rather than a pointless challenge.
  auto aor = registerAor(req, options_.is_local_domain);
  if (!aor) {
    stats().rejected.add();
    reply(buildRegisterError(req, aor.error(), options_.min_expires));
    return std::nullopt;
  }
  if (options_.challenge_register && !auth_.trusted(flow.remote)) {
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

void Registrar::handleRegister(const sip::SipMessage& req, const proxy::transport::Flow& flow,
                               Reply reply) {
  auto parsed = admit(req, flow, reply);
  if (!parsed) {
    return;
  }
  // The reply may be built after the caller's message is gone: keep our own copy
  // (serialize() carries the caller's edits, e.g. Via received=).
  auto copy = sip::SipMessage::parse(req.serialize());
  if (!copy) {
    LOG_ERROR("registrar: a serialized REGISTER did not parse again: %s",
              copy.error().detail.c_str());
    reply(buildRegisterError(req, proxy::Error{500, "Server Internal Error"}, 0));
    return;
  }
  enqueue(Pending{std::move(*copy), flow, std::move(reply), std::move(*parsed)});
}

void Registrar::handleRegister(sip::SipMessage&& req, const proxy::transport::Flow& flow,
                               Reply reply) {
  auto parsed = admit(req, flow, reply);
  if (parsed) {
    enqueue(Pending{std::move(req), flow, std::move(reply), std::move(*parsed)});
  }
}

void Registrar::enqueue(Pending&& pending) {
  const std::string aor = pending.parsed.aor;
  queues_[aor].waiting.push_back(std::move(pending));
  pump(aor);
}

// Runs the AOR's waiting requests in order until one waits for the store. A
// reply that re-enters (or a store that completes at once) finds `pumping` set
// and leaves the loop below to carry on.
void Registrar::pump(const std::string& aor_ref) {
  const std::string aor = aor_ref;  // the caller's string may die with its request
  auto it = queues_.find(aor);
  if (it == queues_.end() || it->second.pumping) {
    return;
  }
  it->second.pumping = true;
  for (;;) {
    AorQueue& q = queues_.find(aor)->second;  // references survive rehashing
    if (q.in_flight || q.waiting.empty()) {
      break;
    }
    Pending next = std::move(q.waiting.front());
    q.waiting.pop_front();
    start(std::move(next));
  }
  it = queues_.find(aor);
  it->second.pumping = false;
  if (!it->second.in_flight && it->second.waiting.empty()) {
    queues_.erase(it);
  }
}

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
  auto commit = std::make_shared<Commit>(Commit{std::move(pending), std::move(plan), {}, {}, 0});
  const auto& removals = commit->plan.removals;
  const auto& puts = commit->plan.puts;
  commit->removal_ok.assign(removals.size(), false);
  commit->put_ok.assign(puts.size(), false);
  commit->outstanding = removals.size() + puts.size();
  const std::string& aor = commit->pending.parsed.aor;
  queues_[aor].in_flight = true;

  std::weak_ptr<bool> alive = alive_;
  auto done = [this, alive, commit](std::vector<bool> Commit::*flags, size_t i) {
    return [this, alive, commit, flags, i](bool ok) {
      if (alive.expired()) {
        return;  // the registrar is gone (shutdown)
      }
      ((*commit).*flags)[i] = ok;
      if (--commit->outstanding == 0) {
        finish(*commit);
      }
    };
  };
  for (size_t i = 0; i < removals.size(); ++i) {
    store_.deleteBinding(aor, removals[i], poster_, done(&Commit::removal_ok, i));
  }
  for (size_t i = 0; i < puts.size(); ++i) {
    store_.saveBinding(puts[i].toRecord(), poster_, done(&Commit::put_ok, i));
  }
}

// Every write of `commit` has completed. Memory takes exactly the writes that
// committed, so it always mirrors the store; any failure answers 500 (§10.3:
// "the request MUST fail with a 500").
void Registrar::finish(Commit& commit) {
  Pending& p = commit.pending;
  const std::string aor = p.parsed.aor;
  std::vector<std::string> removals;
  std::vector<Binding> puts;
  bool all_ok = true;
  for (size_t i = 0; i < commit.plan.removals.size(); ++i) {
    if (commit.removal_ok[i]) {
      removals.push_back(commit.plan.removals[i]);
    }
    all_ok = all_ok && commit.removal_ok[i];
  }
  for (size_t i = 0; i < commit.plan.puts.size(); ++i) {
    if (commit.put_ok[i]) {
      puts.push_back(commit.plan.puts[i]);
    }
    all_ok = all_ok && commit.put_ok[i];
  }
  if (!removals.empty() || !puts.empty()) {
    location_.apply(aor, removals, std::move(puts));
  }
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
  queues_[aor].in_flight = false;
  pump(aor);
}

}  // namespace core::registrar
