// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/service/stored_presence_state.h"

#include <array>
#include <utility>

#include "proxy/base/log.h"

namespace core::presence {
namespace {

struct KindName {
  RecordKind kind;
  std::string_view name;
};
// Names are stored: never rename one. Every RecordKind must be listed here.
constexpr std::array<KindName, 8> kKinds = {{
    {RecordKind::Publication, "presence.publication"},
    {RecordKind::Subscription, "presence.subscription"},
    {RecordKind::Rule, "presence.rule"},
    {RecordKind::MsAccount, "presence.ms_account"},
    {RecordKind::Winfo, "presence.winfo"},
    {RecordKind::EventList, "presence.eventlist"},
    {RecordKind::MsSelf, "presence.ms_self"},
    {RecordKind::MsBatch, "presence.ms_batch"},
}};

}  // namespace

StoredPresenceState::StoredPresenceState(storage::Store& store, const proxy::Clock& clock)
    : store_(store), clock_(clock) {}

std::string StoredPresenceState::kindName(RecordKind kind) {
  for (const auto& k : kKinds) {
    if (k.kind == kind) {
      return std::string(k.name);
    }
  }
  // A kind missing from kKinds would be saved but never loaded: name it there.
  LOG_ERROR("presence: record kind %d has no stored name", static_cast<int>(kind));
  return "presence.unnamed" + std::to_string(static_cast<int>(kind));
}

std::optional<RecordKind> StoredPresenceState::kindOf(std::string_view name) {
  for (const auto& k : kKinds) {
    if (k.name == name) {
      return k.kind;
    }
  }
  return std::nullopt;
}

void StoredPresenceState::save(const PresenceRecord& record) {
  store_.putState({kindName(record.kind), record.key, record.aor, record.value, record.expires_at},
                  {}, {});
}

void StoredPresenceState::erase(RecordKind kind, std::string_view key) {
  store_.deleteState(kindName(kind), std::string(key), {}, {});
}

std::vector<PresenceRecord> StoredPresenceState::load() {
  std::vector<PresenceRecord> out;
  const int64_t now = clock_.unixSeconds();
  for (const auto& k : kKinds) {
    for (auto& r : store_.loadStates(std::string(k.name), now)) {
      out.push_back(PresenceRecord{k.kind, std::move(r.key), std::move(r.aor), std::move(r.value),
                                   r.expires_at});
    }
  }
  return out;
}

}  // namespace core::presence
