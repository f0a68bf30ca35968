// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/location_service.h"

#include <algorithm>
#include <utility>

#include "proxy/base/strings.h"

namespace core::registrar {

LocationService::LocationService(const proxy::Clock& clock, storage::Store& store)
    : clock_(clock), store_(store) {}

std::vector<const Binding*> LocationService::lookup(std::string_view aor) const {
  std::vector<const Binding*> out;
  auto it = by_aor_.find(aor);
  if (it == by_aor_.end()) {
    return out;
  }
  out.reserve(it->second.size());
  // Filtering here (not only in the sweep) keeps expiry exact between sweeps.
  const int64_t now = clock_.unixSeconds();
  for (const Binding& b : it->second) {
    if (b.expires_at > now) {
      out.push_back(&b);
    }
  }
  std::sort(out.begin(), out.end(), [](const Binding* a, const Binding* b) {
    if (a->q1000 != b->q1000) {
      return a->q1000 > b->q1000;
    }
    return a->seq > b->seq;
  });
  return out;
}

void LocationService::removeContact(std::vector<Binding>& list, std::string_view contact) {
  for (auto it = list.begin(); it != list.end(); ++it) {
    if (it->contact == contact) {
      by_expiry_.erase(ExpiryKey{it->expires_at, it->seq, {}});
      list.erase(it);
      return;
    }
  }
}

bool isFlowBound(const Binding& binding) {
  if (!binding.flow || binding.flow->connection_id == 0) {
    return false;
  }
  auto has = [](std::string_view text, std::string_view what) {
    return text.find(what) != std::string_view::npos;
  };
  return has(binding.contact, ";ob") || has(binding.contact, ";ms-opaque=") ||
         has(binding.params, "BENOTIFY");
}

void LocationService::insert(AorEntry& entry, Binding&& b) {
  std::vector<Binding>& list = entry.second;
  removeContact(list, b.contact);  // the store keys bindings by (aor, contact)
  if (isFlowBound(b)) {
    flow_bound_[b.flow_token].insert(entry.first);
  }
  b.seq = next_seq_++;
  by_expiry_.insert(ExpiryKey{b.expires_at, b.seq, entry.first});
  list.push_back(std::move(b));
}

void LocationService::apply(std::string_view aor, const std::vector<std::string>& removals,
                            std::vector<Binding> puts) {
  // Only the map's own key is used below: `aor` may point into a binding we remove.
  auto it = by_aor_.find(aor);
  if (it == by_aor_.end()) {
    it = by_aor_.try_emplace(std::string(aor)).first;
  }
  AorEntry& entry = *it;
  for (const std::string& contact : removals) {
    removeContact(entry.second, contact);
  }
  for (Binding& b : puts) {
    insert(entry, std::move(b));
  }
  if (!entry.second.empty()) {
    notify(entry.first);
    return;
  }
  const std::string key = entry.first;  // outlives the entry, for notify()
  by_aor_.erase(it);
  notify(key);
}

void LocationService::load(const storage::BindingRecord& record) {
  if (record.expires_at <= clock_.unixSeconds()) {
    return;
  }
  // Lowercased: the key every lookup uses.
  insert(*by_aor_.try_emplace(proxy::toLower(record.aor)).first, Binding::fromRecord(record));
}

size_t LocationService::expire(int64_t now) {
  std::vector<std::string> changed;
  size_t dropped = 0;
  while (!by_expiry_.empty() && by_expiry_.begin()->expires_at <= now) {
    const ExpiryKey key = *by_expiry_.begin();
    by_expiry_.erase(by_expiry_.begin());
    if (changed.empty() || changed.back() != key.aor) {
      changed.emplace_back(key.aor);  // copied now: erasing the entry below ends key.aor
    }
    auto it = by_aor_.find(key.aor);
    if (it != by_aor_.end()) {
      std::erase_if(it->second, [&](const Binding& b) { return b.seq == key.seq; });
      if (it->second.empty()) {
        by_aor_.erase(it);
      }
    }
    ++dropped;
  }
  if (dropped > 0) {
    // One bulk delete, not one per binding: a refresh of the same contact that is
    // queued in the store ahead of it carries a later expiry and so survives it.
    store_.deleteExpiredBindings(now);
  }
  std::sort(changed.begin(), changed.end());
  changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
  for (const std::string& aor : changed) {
    notify(aor);
  }
  return dropped;
}

size_t LocationService::dropFlow(std::string_view flow_token) {
  auto it = flow_bound_.find(std::string(flow_token));
  if (it == flow_bound_.end()) {
    return 0;
  }
  const std::set<std::string> aors = std::move(it->second);
  flow_bound_.erase(it);
  size_t dropped = 0;
  for (const std::string& aor : aors) {
    auto entry = by_aor_.find(aor);
    if (entry == by_aor_.end()) {
      continue;
    }
    std::vector<std::string> removals;
    for (const Binding& b : entry->second) {
      if (b.flow_token == flow_token && isFlowBound(b)) {
        removals.push_back(b.contact);
      }
    }
    for (const std::string& contact : removals) {
      store_.deleteBinding(aor, contact, {}, {});  // fire and forget: memory leads
    }
    dropped += removals.size();
    if (!removals.empty()) {
      apply(aor, removals, {});
    }
  }
  return dropped;
}

void LocationService::notify(std::string_view aor) {
  if (on_change) {
    on_change(aor);
  }
}

}  // namespace core::registrar
