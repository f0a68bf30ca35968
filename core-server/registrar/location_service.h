// SPDX-License-Identifier: Apache-2.0
// The location service: for each AOR of one shard, its live bindings. The
// Registrar changes it only after the store committed the change, so memory
// never shows what the store has not got. Expiry is exact to the second: a
// binding is visible while now < expires_at, and expire(now), which the lead
// calls from a per-shard 1 s timer, drops and deletes the dead ones.
// One instance per shard, used only on that shard's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core-server/registrar/binding.h"
#include "core-server/storage/store.h"
#include "proxy/base/clock.h"

namespace core::registrar {

// True for a binding only its connection reaches: registered over TCP/TLS by a
// client that said so (RFC 5626 `ob`) or that speaks the OCS/Lync dialect
// (ms-opaque Contact, BENOTIFY in its methods), all of which listen on no port.
bool isFlowBound(const Binding& binding);

class LocationService {
 public:
  LocationService(const proxy::Clock& clock, storage::Store& store);
  LocationService(const LocationService&) = delete;
  LocationService& operator=(const LocationService&) = delete;

  // Live bindings of `aor` (canonical, lowercase), highest q first, then the most
  // recently registered first. The pointers stay valid until the next apply(),
  // load() or expire() on this shard.
  std::vector<const Binding*> lookup(std::string_view aor) const;

  // One atomic change of an AOR's bindings: removes the bindings whose contact
  // text is in `removals`, then adds or replaces (same contact text) each of
  // `puts`, giving each a new registration sequence number. Fires on_change once.
  void apply(std::string_view aor, const std::vector<std::string>& removals,
             std::vector<Binding> puts);

  // Start-up: adds a stored binding unless it has already expired.
  void load(const storage::BindingRecord& record);

  // Drops every binding with expires_at <= now, issues one
  // Store::deleteExpiredBindings(now) if any went, fires on_change per AOR.
  // Returns how many bindings were dropped.
  size_t expire(int64_t now);

  // The connection `flow_token` names has closed: drops the bindings registered
  // over it that nothing else can reach (isFlowBound), from memory and the store,
  // and fires on_change per AOR. Returns how many went. Such clients (pidgin-sipe,
  // Lync, RFC 5626 outbound) listen on no port and register again on a new
  // connection; a lost un-REGISTER would otherwise leave them "online" until expiry.
  size_t dropFlow(std::string_view flow_token);

  // Number of bindings held (including expired ones not yet swept).
  size_t size() const { return by_expiry_.size(); }

  // Called after an AOR's bindings changed (registration, removal, expiry).
  std::function<void(std::string_view aor)> on_change;

 private:
  // Lookups by string_view, so finding an AOR copies no key.
  struct AorHash {
    using is_transparent = void;
    size_t operator()(std::string_view aor) const { return std::hash<std::string_view>{}(aor); }
  };
  using AorMap = std::unordered_map<std::string, std::vector<Binding>, AorHash, std::equal_to<>>;
  using AorEntry = AorMap::value_type;

  // One per binding. `aor` views the key of the binding's by_aor_ entry, which
  // outlives it: an entry is erased only once its last binding is gone.
  struct ExpiryKey {
    int64_t expires_at = 0;
    uint64_t seq = 0;  // unique per binding
    std::string_view aor;
    bool operator<(const ExpiryKey& o) const {
      return expires_at != o.expires_at ? expires_at < o.expires_at : seq < o.seq;
    }
  };

  void removeContact(std::vector<Binding>& list, std::string_view contact);
  void insert(AorEntry& entry, Binding&& b);
  void notify(std::string_view aor);

  const proxy::Clock& clock_;
  storage::Store& store_;
  AorMap by_aor_;
  std::set<ExpiryKey> by_expiry_;  // soonest first
  // Flow token -> AORs with a flow-bound binding on it (may name AORs whose binding
  // has gone since; dropFlow checks). Holds only connections of flow-bound clients.
  std::unordered_map<std::string, std::set<std::string>> flow_bound_;
  uint64_t next_seq_ = 1;
};

}  // namespace core::registrar
