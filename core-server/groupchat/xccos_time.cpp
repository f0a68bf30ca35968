// SPDX-License-Identifier: Apache-2.0
#include "core-server/groupchat/xccos_time.h"

#include <cstdint>
#include <cstdio>

namespace core::groupchat {
namespace {

using Ticks = std::chrono::duration<int64_t, std::ratio<1, 10'000'000>>;  // .NET ticks

struct CivilDate {
  int64_t year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};

// Days since 1970-01-01 of a proleptic Gregorian date, and back (the classic
// era-based algorithms; exact for every int64 day count we can meet).
int64_t daysFromCivil(CivilDate d) {
  const int64_t y = d.year - (d.month <= 2 ? 1 : 0);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t mp = (d.month + 9) % 12;
  const int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate civilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const auto day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  const auto month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  return CivilDate{yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

unsigned daysInMonth(int64_t year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// Reads exactly `count` digits at text[pos].
std::optional<int64_t> digits(std::string_view text, size_t pos, size_t count) {
  if (pos + count > text.size()) {
    return std::nullopt;
  }
  int64_t value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return std::nullopt;
    }
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool expect(std::string_view text, size_t pos, char c) {
  return pos < text.size() && text[pos] == c;
}

}  // namespace

std::string formatXccosTime(XccosClock::time_point when, TimePrecision precision) {
  using std::chrono::floor;
  const Ticks ticks = floor<Ticks>(when.time_since_epoch());
  const int64_t day = floor<std::chrono::days>(ticks).count();
  const int64_t in_day = (ticks - std::chrono::days(day)).count();  // ticks since midnight
  const CivilDate date = civilFromDays(day);
  const int64_t seconds = in_day / 10'000'000;
  char buffer[64];
  int n = std::snprintf(buffer, sizeof(buffer), "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                        static_cast<long long>(date.year), date.month, date.day,
                        static_cast<long long>(seconds / 3600),
                        static_cast<long long>(seconds / 60 % 60),
                        static_cast<long long>(seconds % 60));
  if (precision == TimePrecision::Ticks) {
    n += std::snprintf(buffer + n, sizeof(buffer) - static_cast<size_t>(n), ".%07lld",
                       static_cast<long long>(in_day % 10'000'000));
  }
  return std::string(buffer, static_cast<size_t>(n)) + "Z";
}

std::optional<XccosClock::time_point> parseXccosTime(std::string_view text) {
  const auto year = digits(text, 0, 4);
  const auto month = digits(text, 5, 2);
  const auto day = digits(text, 8, 2);
  const auto hour = digits(text, 11, 2);
  const auto minute = digits(text, 14, 2);
  const auto second = digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || !expect(text, 4, '-') ||
      !expect(text, 7, '-') || !(expect(text, 10, 'T') || expect(text, 10, 't')) ||
      !expect(text, 13, ':') || !expect(text, 16, ':')) {
    return std::nullopt;
  }
  if (*month < 1 || *month > 12 || *day < 1 ||
      *day > daysInMonth(*year, static_cast<unsigned>(*month)) || *hour > 23 || *minute > 59 ||
      *second > 60) {  // 60: a leap second, folded into the next minute
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t nanos = 0;
  if (expect(text, pos, '.')) {
    int64_t scale = 100'000'000;
    size_t count = 0;
    for (++pos; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, ++count) {
      nanos += (text[pos] - '0') * scale;
      scale /= 10;
    }
    if (count == 0 || count > 9) {
      return std::nullopt;
    }
  }
  int64_t offset_minutes = 0;
  if (expect(text, pos, 'Z') || expect(text, pos, 'z')) {
    ++pos;
  } else if (expect(text, pos, '+') || expect(text, pos, '-')) {
    const auto oh = digits(text, pos + 1, 2);
    const auto om = digits(text, pos + 4, 2);
    if (!oh || !om || !expect(text, pos + 3, ':') || *oh > 23 || *om > 59) {
      return std::nullopt;
    }
    offset_minutes = (*oh * 60 + *om) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  }
  if (pos != text.size()) {
    return std::nullopt;
  }
  const int64_t days =
      daysFromCivil(CivilDate{*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day)});
  const int64_t secs = days * 86400 + *hour * 3600 + *minute * 60 + *second - offset_minutes * 60;
  // The clock counts nanoseconds in 64 bits (years 1678..2261); refuse what it cannot hold.
  constexpr int64_t kMaxSeconds =
      std::chrono::duration_cast<std::chrono::seconds>(XccosClock::duration::max()).count() - 1;
  if (secs > kMaxSeconds || secs < -kMaxSeconds) {
    return std::nullopt;
  }
  const auto since_epoch = std::chrono::seconds(secs) + std::chrono::nanoseconds(nanos);
  return XccosClock::time_point(std::chrono::duration_cast<XccosClock::duration>(since_epoch));
}

}  // namespace core::groupchat
