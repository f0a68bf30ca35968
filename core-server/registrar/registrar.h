// SPDX-License-Identifier: Apache-2.0
// The REGISTER handler (RFC 3261 §10.3): checks the target domain and To,
// authenticates, works out the binding changes, persists them through the
// Store, and only after every write committed applies them to the
// LocationService and replies. REGISTERs for one AOR run one at a time (a later
// one waits while an earlier one's writes are in flight), so each sees the
// bindings the previous one left. One instance per shard; the lead hands it
// every REGISTER whose To AOR hashes to this shard, on this shard's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core-server/registrar/authenticator.h"
#include "core-server/registrar/binding_plan.h"
#include "core-server/registrar/location_service.h"
#include "core-server/registrar/register_request.h"
#include "core-server/storage/store.h"
#include "proxy/base/clock.h"
#include "proxy/sip/sip_message.h"
#include "proxy/transport/transport.h"

namespace core::registrar {

struct RegistrarOptions {
  uint32_t min_expires = 60;        // shorter non-zero requests get 423 Interval Too Brief
  uint32_t max_expires = 3600;      // longer requests are shortened to this
  uint32_t default_expires = 3600;  // when the REGISTER names no expiry
  size_t max_contacts_per_aor = 16;
  bool challenge_register = true;  // false: REGISTER is never challenged
  // True when `host` (lowercase) is one of our domains (RFC 3261 §10.3 step 1).
  // Its answer for a host must never change: the Registrar remembers the last
  // host found local.
  std::function<bool(std::string_view host)> is_local_domain;
};

class Registrar {
 public:
  // Receives the complete response, serialized. It may run before
  // handleRegister() returns (errors, fetches) or later, after a store commit.
  using Reply = std::function<void(std::string response_bytes)>;

  // `poster` runs store completions on this shard's thread.
  Registrar(RegistrarOptions options, LocationService& location, Authenticator& auth,
            storage::Store& store, storage::Poster poster, const proxy::Clock& clock);
  ~Registrar();
  Registrar(const Registrar&) = delete;
  Registrar& operator=(const Registrar&) = delete;

  // Handles one REGISTER that arrived on `flow`. The caller has already done
  // Require/Proxy-Require checks (§10.3 step 2). This overload works on a copy
  // of the request; the other one takes it over (no copy).
  void handleRegister(const proxy::sip::SipMessage& req, const proxy::transport::Flow& flow,
                      Reply reply);
  void handleRegister(proxy::sip::SipMessage&& req, const proxy::transport::Flow& flow,
                      Reply reply);
  // For a REGISTER an earlier stage authenticated already (NTLM, [MS-SIPAE]):
  // the digest check is skipped.
  void handleAuthenticatedRegister(proxy::sip::SipMessage&& req, const proxy::transport::Flow& flow,
                                   Reply reply);

  // The 401 for a REGISTER the full path would only challenge: our AOR, no
  // Authorization header, nothing for an earlier step to refuse (Require,
  // Proxy-Require, a To tag). It needs no transaction and no AOR shard: the
  // nonce is stateless and a retransmission gets another 401, as from a
  // stateless UAS (RFC 3261 §8.2.7). nullopt: the request takes the full path.
  std::optional<std::string> statelessChallenge(const proxy::sip::SipMessage& req,
                                                const proxy::transport::Flow& flow);

  // AORs with a REGISTER waiting for the store (for tests and stats).
  size_t busyAors() const { return queues_.size(); }

 private:
  struct Pending {
    proxy::sip::SipMessage req;
    proxy::transport::Flow flow;
    Reply reply;
    RegisterRequest parsed;  // views req's text, which stays put when req moves
  };
  struct Commit;
  struct AorQueue {
    // std::list: nothing to allocate while empty (std::deque allocates on
    // construction), and an AOR almost never has a request waiting.
    std::list<Pending> waiting;
    bool in_flight = false;  // a request's store writes have not all completed
    bool pumping = false;    // pump() is on the stack for this AOR
  };
  // Lookups by string_view, so finding an AOR's queue copies no key.
  struct AorHash {
    using is_transparent = void;
    size_t operator()(std::string_view aor) const { return std::hash<std::string_view>{}(aor); }
  };
  using AorQueues = std::unordered_map<std::string, AorQueue, AorHash, std::equal_to<>>;

  std::optional<RegisterRequest> admit(const proxy::sip::SipMessage& req,
                                       const proxy::transport::Flow& flow, const Reply& reply,
                                       bool authenticated = false);
  void enqueue(Pending&& pending);
  void pump(std::string_view aor);
  void start(Pending&& pending);
  void persist(Pending&& pending, BindingPlan&& plan);
  AorQueue& claim(const std::string& aor);
  void release(AorQueues::iterator it);
  void finish(Commit& commit);
  bool applyCommitted(Commit& commit);
  ExpiryLimits limits() const;

  RegistrarOptions options_;
  LocationService& location_;
  Authenticator& auth_;
  storage::Store& store_;
  storage::Poster poster_;
  const proxy::Clock& clock_;
  AorQueues queues_;            // only AORs with work in progress
  AorQueues::node_type spare_;  // an entry released, for the next claim()
  // Store completions hold a weak_ptr to this, so late ones after destruction are dropped.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace core::registrar
