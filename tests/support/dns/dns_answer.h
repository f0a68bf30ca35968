// SPDX-License-Identifier: Apache-2.0
// Builds the response to one DNS query from a Zone. Hand-written wire encoding
// (RFC 1035 §4) is fine here: this is a test tool, kept small, and the code under
// test decodes with c-ares. Names are written uncompressed. Test code only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tests/support/dns/zone.h"

namespace confab::testdns {

struct Answer {
  std::string name;                 // the asked name, normalised
  uint16_t type = 0;                // the asked QTYPE
  std::optional<std::string> wire;  // nullopt: drop the query (no reply)
  std::string outcome;              // "NOERROR 2", "NXDOMAIN", "SERVFAIL", "DROP" (for the log)
};

// nullopt for a datagram that is not a single-question standard query.
std::optional<Answer> answerQuery(const Zone& zone, std::string_view query);

std::string typeName(uint16_t type);  // "A", "SRV", ... or the number

}  // namespace confab::testdns
