// SPDX-License-Identifier: Apache-2.0
// Internal to proxy/config: typed, position-aware reading of yaml-cpp nodes.
// Every mismatch becomes one "file:line:column: key.path: expected ..., got ..."
// diagnostic and the target keeps its default, so loading goes on and reports
// every problem in the file at once. Used on the loading thread only.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"

namespace proxy::config::detail {

// Collects positioned errors; toError() lists them earliest first, one per line.
class Diagnostics {
 public:
  explicit Diagnostics(std::string source) : source_(std::move(source)) {}

  void add(const YAML::Mark& mark, std::string_view path, std::string_view what);
  size_t count() const { return entries_.size(); }
  Error toError() const;

 private:
  struct Entry {
    int line;
    int column;
    std::string text;
  };
  std::string source_;
  std::vector<Entry> entries_;
};

// One value in the document with where it sits: `mark` is the value's own
// position, or its key's when the value is empty (yaml-cpp marks an empty value
// at the next token, which would point at the wrong line).
struct Value {
  YAML::Node node;
  YAML::Mark mark;
  std::string path;  // "listeners[1].port"
};

// For "got ..." in messages: a quoted (shortened) scalar, "a list", "a mapping", "nothing".
std::string describe(const YAML::Node& node);

// Typed conversions; each reports to `diag` and returns nullopt on mismatch.
std::optional<uint64_t> readUnsigned(Diagnostics& diag, const Value& value, uint64_t min,
                                     uint64_t max);
std::optional<bool> readBool(Diagnostics& diag, const Value& value);
std::optional<std::string> readString(Diagnostics& diag, const Value& value);
// The elements of a list; an empty value is an empty list.
std::vector<Value> readList(Diagnostics& diag, const Value& value);

// The closest of `candidates` to a mistyped `key`, or "" when none is close.
std::string_view suggestKey(std::string_view key,
                            std::initializer_list<std::string_view> candidates);

// One mapping being read. Construction reports a value that is not a mapping,
// unknown keys (with a suggestion) and duplicate keys. Absent keys leave their
// targets at the default; an empty value (`key:` alone) is an empty string,
// list or mapping, and an error where a number or a flag is expected.
class MapReader {
 public:
  MapReader(Diagnostics& diag, const Value& value, std::initializer_list<std::string_view> keys);

  // The value of `key`, or nullopt when absent.
  std::optional<Value> get(std::string_view key) const;
  // The value of `key`, or an empty one placed at this mapping when absent, so
  // that defaults can be read and checked like given values.
  Value getOrEmpty(std::string_view key) const;
  // Reports "required key is missing" at this mapping.
  void reportMissing(std::string_view key) const;

  template <typename T>
  void read(std::string_view key, T& out, uint64_t min, uint64_t max) const {
    if (auto value = get(key)) {
      if (auto number = readUnsigned(diag_, *value, min, max)) {
        out = static_cast<T>(*number);
      }
    }
  }
  void read(std::string_view key, bool& out) const;
  void read(std::string_view key, std::string& out) const;

  Diagnostics& diagnostics() const { return diag_; }
  const YAML::Mark& mark() const { return mark_; }
  std::string childPath(std::string_view key) const;

 private:
  struct Entry {
    std::string key;
    int key_line;  // 1-based, for "first given at line N"
    Value value;
  };
  Diagnostics& diag_;
  std::string path_;
  YAML::Mark mark_;
  std::vector<Entry> entries_;
};

}  // namespace proxy::config::detail
