// SPDX-License-Identifier: Apache-2.0
// XCCOS timestamps. The server's clock (`serverTime` in rpl:getserverinfo) is
// ISO-8601 UTC with seven fractional digits, i.e. .NET 100 ns ticks, as in
// "2010-09-14T14:26:17.6206356Z"; chat `ts` attributes from sipe carry whole
// seconds ("2010-09-14T14:26:17Z"). Formatting and parsing are pure, any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace core::groupchat {

using XccosClock = std::chrono::system_clock;

enum class TimePrecision {
  Seconds,  // 2010-09-14T14:26:17Z
  Ticks,    // 2010-09-14T14:26:17.6206356Z (100 ns, seven digits)
};

// Formats `when` as UTC; sub-precision parts are truncated toward the past.
std::string formatXccosTime(XccosClock::time_point when, TimePrecision precision);

// Parses YYYY-MM-DDTHH:MM:SS with an optional fraction (1-9 digits) and an
// optional zone (Z or ±HH:MM; none means UTC, as sipe assumes). Returns
// nullopt for anything else, including impossible dates.
std::optional<XccosClock::time_point> parseXccosTime(std::string_view text);

}  // namespace core::groupchat
