// SPDX-License-Identifier: Apache-2.0
// One registration binding (RFC 3261 §10): a Contact URI of an AOR, with the
// flow it registered over and its expiry. A Binding owns all its strings, so it
// outlives the REGISTER it came from. Bindings live in the LocationService of
// the shard that owns their AOR, under that AOR (which they do not repeat), and
// are only touched on that shard's thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core-server/storage/store.h"
#include "proxy/transport/transport.h"

namespace core::registrar {

struct Binding {
  std::string contact;     // the Contact URI as registered (text inside <...>)
  std::string instance;    // +sip.instance value without quotes ("<urn:uuid:...>"), or ""
  std::string flow_token;  // transport::Flow::token() it registered over
  std::optional<proxy::transport::Flow> flow;  // parsed flow_token; nullopt if unparsable
  std::string call_id;
  uint32_t cseq = 0;
  int64_t expires_at = 0;  // unix seconds; the binding is live while now < expires_at
  int32_t q1000 = 1000;    // q-value * 1000 (RFC 3261 §20.10)
  std::string user_agent;
  std::string params;  // other contact params, raw, ';'-joined, no leading ';'
  uint64_t seq = 0;    // registration sequence number, set by LocationService::apply

  // The stored form of this binding of `aor` (canonical, lowercase "user@host").
  storage::BindingRecord toRecord(std::string_view aor) const;
  static Binding fromRecord(const storage::BindingRecord& record);  // record.aor is not kept
};

// Renders a q-value the way RFC 3261 §20.10 writes it: "1", "0.5", "0.125", "0".
std::string formatQ(int32_t q1000);

}  // namespace core::registrar
