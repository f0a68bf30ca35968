// SPDX-License-Identifier: Apache-2.0
// Small allocation-free helpers over std::string_view used by every parser.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace proxy {

inline char asciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (asciiLower(a[i]) != asciiLower(b[i])) {
      return false;
    }
  }
  return true;
}

// Compares a peer's hex digest `got` (either case) with our lowercase `expected` in time
// that does not depend on where they differ (digest responses: no timing oracle).
inline bool sameHexConstantTime(std::string_view got, std::string_view expected) {
  if (got.size() != expected.size()) {
    return false;
  }
  unsigned char diff = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    diff |= static_cast<unsigned char>(asciiLower(got[i]) ^ expected[i]);
  }
  return diff == 0;
}

// `"value"` without its quotes (a quoted-string's escapes are left as they are).
inline std::string_view unquoted(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
    return s.substr(1, s.size() - 2);
  }
  return s;
}

inline bool isLws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && isLws(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && isLws(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

inline std::string toLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = asciiLower(c);
  }
  return out;
}

// Appends to `out` (", "-separated) the non-empty items of the comma-separated
// `list` for which keep(item) is true: filters option tags of Supported/Require.
template <typename Keep>
void appendListItems(std::string& out, std::string_view list, const Keep& keep) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string_view item = trim(list.substr(start, comma - start));
    if (!item.empty() && keep(item)) {
      out += out.empty() ? "" : ", ";
      out += item;
    }
    if (comma == std::string_view::npos) {
      break;
    }
    start = comma + 1;
  }
}

// Parses a whole decimal unsigned number; rejects signs, blanks and overflow.
template <typename T = uint64_t>
std::optional<T> parseUnsigned(std::string_view s) {
  if (s.empty()) {
    return std::nullopt;
  }
  T value{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace proxy
