// SPDX-License-Identifier: Apache-2.0
// The stored form of a dialog we send NOTIFYs in, shared by every persisted
// subscription kind (the service's own and the stages' winfo, list and MS
// dialogs): Call-ID, tags, URIs, remote target, route set, our Contact, the flow
// token the client's SUBSCRIBE came in on (NOTIFYs go back over that connection
// while it lives, else to the remote target like any request) and a CSeq bound.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core-server/presence/service/state_store.h"
#include "core-server/presence/service/subscription.h"

namespace core::presence {

// Persisting every NOTIFY's CSeq would be a write per NOTIFY: a bound this far
// ahead is persisted instead and a restored dialog goes on from it.
constexpr uint32_t kCseqReserve = 100;

// `cseq_bound`: above every CSeq used so far (restored as local_cseq).
nlohmann::json dialogToJson(const DialogState& d, uint32_t cseq_bound);
// What dialogToJson wrote, after a restart: nullopt without a Call-ID, a local tag or a
// remote target. A stream flow token is dropped (restoredFlowToken).
std::optional<DialogState> dialogFromJson(const nlohmann::json& j);
// The stored flow token as usable after a restart: a UDP flow (socket + address) still
// is; a TCP/TLS connection is not, and its id may name another client's connection in
// this run (ids restart from 1), so "": NOTIFYs go to the remote target instead.
std::string restoredFlowToken(std::string token);

// The record of a dialog a stage holds (key = dialogKey(dialog)); both do nothing
// without a store.
void saveDialogRecord(PresenceStateStore* store, RecordKind kind, const DialogState& dialog,
                      const std::string& aor, const nlohmann::json& value, int64_t expires_at_unix);
void eraseDialogRecord(PresenceStateStore* store, RecordKind kind, const DialogState& dialog);

// Members of a stored JSON object, empty / 0 / false when missing or of another type.
std::string jsonText(const nlohmann::json& j, const char* key);
uint32_t jsonNumber(const nlohmann::json& j, const char* key);
bool jsonFlag(const nlohmann::json& j, const char* key);
// Compact JSON text; invalid UTF-8 replaced rather than thrown.
std::string jsonDump(const nlohmann::json& j);

}  // namespace core::presence
