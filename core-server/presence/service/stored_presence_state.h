// SPDX-License-Identifier: Apache-2.0
// PresenceStateStore over the server's Store: presence records become the store's
// generic state records (kind "presence.<kind>"), written through its group-commit
// queue. save()/erase() only queue: the presence service never waits on disk.
// Thread-safe as the Store is; one instance serves every shard.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core-server/presence/service/state_store.h"
#include "core-server/storage/store.h"
#include "proxy/base/clock.h"

namespace core::presence {

class StoredPresenceState final : public PresenceStateStore {
 public:
  StoredPresenceState(storage::Store& store, const proxy::Clock& clock);

  void save(const PresenceRecord& record) override;
  void erase(RecordKind kind, std::string_view key) override;
  std::vector<PresenceRecord> load() override;

  // The store kind name of a presence record kind ("presence.publication"...).
  static std::string kindName(RecordKind kind);
  static std::optional<RecordKind> kindOf(std::string_view name);

 private:
  storage::Store& store_;
  const proxy::Clock& clock_;
};

}  // namespace core::presence
