// SPDX-License-Identifier: Apache-2.0
// RFC 3339 date-times as PIDF (RFC 3863 §4.1.7), RPID last-input and MS-PRES
// (startTime, publishTime, lastActive) write them, converted to and from unix
// seconds. Pure functions, no locale, no time zone database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace core::presence {

// Accepts "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)"; a missing offset is
// read as UTC (MS clients sometimes omit it). Fractions are truncated. nullopt
// for anything else, including out-of-range fields.
std::optional<int64_t> parseRfc3339(std::string_view text);

// "YYYY-MM-DDTHH:MM:SSZ" (UTC, whole seconds).
std::string formatRfc3339(int64_t unix_seconds);

}  // namespace core::presence
