// SPDX-License-Identifier: Apache-2.0
// MsPresence: the stored form of its self dialogs and batches, so that a client
// signed in before a restart keeps its subscriptions (a refresh gets 200, not
// 481) and keeps getting NOTIFYs without subscribing again. One record per
// dialog, written when it starts, is refreshed or used up its stored CSeq bound,
// and erased when it ends; endpoints' NOTIFYs go over the stored flow while that
// connection lives, else to the stored remote target (as presence subscriptions).
#include <nlohmann/json.hpp>

#include "core-server/presence/service/dialog_json.h"
#include "core-server/presence/stages/ms_presence.h"
#include "core-server/presence/stages/ms_renderer.h"
#include "proxy/base/log.h"

namespace core::presence {

using nlohmann::json;

namespace {

// The stored expiry on the monotonic clock; nullopt once it has passed.
std::optional<int64_t> restoredDeadline(const PresenceRecord& record, const proxy::Clock& clock) {
  const int64_t left_s = record.expires_at - clock.unixSeconds();
  if (record.expires_at == 0 || left_s <= 0) {
    return std::nullopt;
  }
  return clock.monotonicMs() + left_s * 1000;
}

}  // namespace

void MsPresence::persistSelf(SelfDialog& d) {
  if (d.dialog.local_cseq >= d.cseq_reserved) {
    d.cseq_reserved = d.dialog.local_cseq + kCseqReserve;
  }
  if (store_ == nullptr || d.expires_ms == 0) {
    return;
  }
  json value = dialogToJson(d.dialog, d.cseq_reserved);
  value["event"] = d.event;
  value["benotify"] = d.benotify;
  value["categories"] = d.sections.categories;
  value["containers"] = d.sections.containers;
  value["subscribers"] = d.sections.subscribers;
  saveDialogRecord(store_, RecordKind::MsSelf, d.dialog, d.aor, value, d.expires_at_unix);
  d.stored = true;
}

void MsPresence::eraseSelf(SelfDialog& d) {
  if (d.stored) {
    eraseDialogRecord(store_, RecordKind::MsSelf, d.dialog);
  }
  d.stored = false;
}

void MsPresence::persistBatch(Batch& b) {
  if (store_ == nullptr) {
    return;
  }
  json members = json::array();
  for (const BatchMember& m : b.members) {
    members.push_back(json{{"resource", m.resource}, {"local_tag", m.local_tag}});
  }
  json value = dialogToJson(b.dialog, b.dialog.local_cseq);  // NOTIFYs use the members' dialogs
  value["members"] = std::move(members);
  value["expires_s"] = b.expires_s;
  saveDialogRecord(store_, RecordKind::MsBatch, b.dialog, b.aor, value, b.expires_at_unix);
  b.stored = true;
}

void MsPresence::eraseBatch(Batch& b) {
  if (b.stored) {
    eraseDialogRecord(store_, RecordKind::MsBatch, b.dialog);
  }
  b.stored = false;
}

void MsPresence::restoreSelf(const PresenceRecord& record) {
  const json j = json::parse(record.value, nullptr, false);
  std::optional<DialogState> dialog = dialogFromJson(j);
  std::optional<int64_t> deadline = restoredDeadline(record, clock_);
  const std::string event = j.is_object() ? jsonText(j, "event") : std::string();
  if (!dialog || !deadline || event.empty() || dialogs_.count(record.key) != 0) {
    if (store_ != nullptr) {
      store_->erase(RecordKind::MsSelf, record.key);  // expired or unreadable: gone for good
    }
    return;
  }
  SelfDialog d;
  d.aor = record.aor;
  d.event = event;
  d.dialog = std::move(*dialog);
  d.cseq_reserved = d.dialog.local_cseq;  // every CSeq used is below the stored bound
  d.benotify = jsonFlag(j, "benotify");
  d.sections.categories = jsonFlag(j, "categories");
  d.sections.containers = jsonFlag(j, "containers");
  d.sections.subscribers = jsonFlag(j, "subscribers");
  d.expires_ms = *deadline;
  d.expires_at_unix = record.expires_at;
  d.stored = true;
  dialogs_.emplace(record.key, std::move(d));
  scheduleExpiry(record.key, *deadline);
}

void MsPresence::restoreBatch(const PresenceRecord& record) {
  const json j = json::parse(record.value, nullptr, false);
  std::optional<DialogState> dialog = dialogFromJson(j);
  std::optional<int64_t> deadline = restoredDeadline(record, clock_);
  auto members = j.is_object() ? j.find("members") : j.end();
  if (!dialog || !deadline || members == j.end() || !members->is_array() ||
      batches_.count(record.key) != 0) {
    if (store_ != nullptr) {
      store_->erase(RecordKind::MsBatch, record.key);
    }
    return;
  }
  Batch b;
  b.aor = record.aor;
  b.dialog = std::move(*dialog);
  b.format = presence_.renderers().find(kMsEventCategoriesType);
  if (b.format < 0) {
    b.format = presence_.renderers().find("application/pidf+xml");
  }
  for (const json& member : *members) {
    BatchMember m;
    m.resource = jsonText(member, "resource");
    m.local_tag = jsonText(member, "local_tag");
    if (m.resource.empty()) {
      continue;
    }
    // The owner as this run divides users; the subscription itself was restored there.
    m.shard = router_.ownerOfAor(m.resource);
    m.answered = true;
    b.members.push_back(std::move(m));
  }
  b.expires_ms = *deadline;
  b.expires_s = jsonNumber(j, "expires_s");
  b.expires_at_unix = record.expires_at;
  b.stored = true;
  batches_.emplace(record.key, std::move(b));
  scheduleExpiry(record.key, *deadline);
}

}  // namespace core::presence
