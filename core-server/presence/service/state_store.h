// SPDX-License-Identifier: Apache-2.0
// Where the presence service keeps what must survive a restart: publications,
// subscriptions (with their dialog state, so watchers keep getting NOTIFYs
// without resubscribing) and authorization rules. The service only calls
// save()/erase() on its shard's thread and must never wait for them: an
// implementation queues the write (the lead's SQLite store batches them).
// load() runs once at start, before any shard takes traffic; each shard takes the
// records whose `aor` it owns (PresenceService::load).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace core::presence {

// MsAccount: one per user of the OCS/Lync dialect (key = AOR): contact list,
// category publications with their versions, containers, acknowledged watchers
// (core-server/presence/stages/ms_account.h).
// The subscriptions the stages hold themselves (core-server/presence/stages), one
// record per dialog (key = dialogKey, value = dialog_json.h's dialog plus their own
// fields): Winfo (presence.winfo), EventList (RFC 4662 lists), MsSelf (roaming-self,
// roaming-contacts, wpending) and MsBatch (batched category subscriptions).
enum class RecordKind : uint8_t {
  Publication = 1,
  Subscription = 2,
  Rule = 3,
  MsAccount = 4,
  Winfo = 5,
  EventList = 6,
  MsSelf = 7,
  MsBatch = 8,
};

struct PresenceRecord {
  RecordKind kind = RecordKind::Publication;
  std::string key;         // unique within its kind: ETag, dialog id, "<presentity> <rule>"
  std::string aor;         // the presentity: decides the owning shard
  std::string value;       // JSON, written and read only by the presence service
  int64_t expires_at = 0;  // unix seconds; 0 = never. Expired records may be dropped unread.

  bool operator==(const PresenceRecord&) const = default;
};

class PresenceStateStore {
 public:
  virtual ~PresenceStateStore() = default;
  // Insert or replace the record with the same (kind, key).
  virtual void save(const PresenceRecord& record) = 0;
  virtual void erase(RecordKind kind, std::string_view key) = 0;
  // Every stored record (start-up only).
  virtual std::vector<PresenceRecord> load() = 0;
};

// For tests and for running without persistence.
class MemoryPresenceStateStore final : public PresenceStateStore {
 public:
  void save(const PresenceRecord& record) override {
    records_[{record.kind, record.key}] = record;
    ++writes_;
  }
  void erase(RecordKind kind, std::string_view key) override {
    records_.erase({kind, std::string(key)});
    ++writes_;
  }
  std::vector<PresenceRecord> load() override {
    std::vector<PresenceRecord> out;
    for (const auto& [key, record] : records_) {
      out.push_back(record);
    }
    return out;
  }
  size_t size() const { return records_.size(); }
  size_t count(RecordKind kind) const {
    size_t n = 0;
    for (const auto& [key, record] : records_) {
      n += key.first == kind ? 1 : 0;
    }
    return n;
  }
  size_t writes() const { return writes_; }

 private:
  std::map<std::pair<RecordKind, std::string>, PresenceRecord> records_;
  size_t writes_ = 0;
};

}  // namespace core::presence
