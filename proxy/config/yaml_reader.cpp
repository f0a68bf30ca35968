// SPDX-License-Identifier: Apache-2.0
#include "proxy/config/yaml_reader.h"

#include <algorithm>

#include "proxy/base/strings.h"

namespace proxy::config::detail {
namespace {

constexpr size_t kMaxShown = 40;  // longer scalars are shortened in messages

size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t substitution = diagonal + (asciiLower(a[i - 1]) == asciiLower(b[j - 1]) ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitution});
    }
  }
  return row[b.size()];
}

std::string join(std::initializer_list<std::string_view> names) {
  std::string out;
  for (std::string_view name : names) {
    out += out.empty() ? "" : ", ";
    out += name;
  }
  return out;
}

bool isEmpty(const YAML::Node& node) { return !node.IsDefined() || node.IsNull(); }

}  // namespace

void Diagnostics::add(const YAML::Mark& mark, std::string_view path, std::string_view what) {
  // A null mark (an empty document) is reported at the start of the file.
  const int line = mark.is_null() ? 1 : mark.line + 1;
  const int column = mark.is_null() ? 1 : mark.column + 1;
  std::string text = source_ + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
  if (!path.empty()) {
    text += std::string(path) + ": ";
  }
  text += what;
  entries_.push_back(Entry{line, column, std::move(text)});
}

Error Diagnostics::toError() const {
  std::vector<Entry> sorted = entries_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  std::string detail;
  for (const Entry& entry : sorted) {
    detail += detail.empty() ? "" : "\n";
    detail += entry.text;
  }
  return makeError(0, std::move(detail));
}

std::string describe(const YAML::Node& node) {
  if (isEmpty(node)) {
    return "nothing";
  }
  if (node.IsSequence()) {
    return "a list";
  }
  if (node.IsMap()) {
    return "a mapping";
  }
  const std::string& scalar = node.Scalar();
  if (scalar.size() > kMaxShown) {
    return "\"" + scalar.substr(0, kMaxShown) + "...\"";
  }
  return "\"" + scalar + "\"";
}

std::optional<uint64_t> readUnsigned(Diagnostics& diag, const Value& value, uint64_t min,
                                     uint64_t max) {
  std::optional<uint64_t> number;
  if (value.node.IsScalar()) {
    number = parseUnsigned<uint64_t>(value.node.Scalar());
  }
  if (!number || *number < min || *number > max) {
    diag.add(value.mark, value.path,
             "expected an integer " + std::to_string(min) + "-" + std::to_string(max) + ", got " +
                 describe(value.node));
    return std::nullopt;
  }
  return number;
}

std::optional<bool> readBool(Diagnostics& diag, const Value& value) {
  if (value.node.IsScalar()) {
    // YAML 1.1 spellings, as yaml-cpp and most YAML users expect.
    const std::string word = toLower(value.node.Scalar());
    if (word == "true" || word == "yes" || word == "on") {
      return true;
    }
    if (word == "false" || word == "no" || word == "off") {
      return false;
    }
  }
  diag.add(value.mark, value.path, "expected true or false, got " + describe(value.node));
  return std::nullopt;
}

std::optional<std::string> readString(Diagnostics& diag, const Value& value) {
  if (isEmpty(value.node)) {
    return std::string();
  }
  if (!value.node.IsScalar()) {
    diag.add(value.mark, value.path, "expected a string, got " + describe(value.node));
    return std::nullopt;
  }
  return value.node.Scalar();
}

std::vector<Value> readList(Diagnostics& diag, const Value& value) {
  std::vector<Value> items;
  if (isEmpty(value.node)) {
    return items;
  }
  if (!value.node.IsSequence()) {
    diag.add(value.mark, value.path, "expected a list, got " + describe(value.node));
    return items;
  }
  for (size_t i = 0; i < value.node.size(); ++i) {
    const YAML::Node item = value.node[i];
    // An empty item ("- " alone) has no useful mark of its own.
    const YAML::Mark mark = isEmpty(item) ? value.mark : item.Mark();
    items.push_back(Value{item, mark, value.path + "[" + std::to_string(i) + "]"});
  }
  return items;
}

std::string_view suggestKey(std::string_view key,
                            std::initializer_list<std::string_view> candidates) {
  std::string_view best;
  size_t best_distance = 0;
  for (std::string_view candidate : candidates) {
    const size_t distance = editDistance(key, candidate);
    if (best.empty() || distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  // Close enough to be a typo: at most 2 edits, and fewer than half the name.
  const bool close = best_distance <= 2 && best_distance * 2 < std::max(key.size(), best.size());
  return close ? best : std::string_view();
}

MapReader::MapReader(Diagnostics& diag, const Value& value,
                     std::initializer_list<std::string_view> keys)
    : diag_(diag), path_(value.path), mark_(value.mark) {
  if (isEmpty(value.node)) {
    return;
  }
  if (!value.node.IsMap()) {
    diag_.add(value.mark, value.path, "expected a mapping of keys, got " + describe(value.node));
    return;
  }
  for (const auto& pair : value.node) {  // yields pairs by value: hold them, not references
    const YAML::Node key_node = pair.first;
    if (!key_node.IsScalar()) {
      diag_.add(key_node.Mark(), path_, "expected a key name, got " + describe(key_node));
      continue;
    }
    const std::string& key = key_node.Scalar();
    const std::string path = childPath(key);
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      const std::string_view suggestion = suggestKey(key, keys);
      diag_.add(key_node.Mark(), path,
                suggestion.empty()
                    ? "unknown key (expected one of: " + join(keys) + ")"
                    : "unknown key (did you mean \"" + std::string(suggestion) + "\"?)");
      continue;
    }
    auto first = std::find_if(entries_.begin(), entries_.end(),
                              [&](const Entry& e) { return e.key == key; });
    if (first != entries_.end()) {
      diag_.add(key_node.Mark(), path,
                "duplicate key (first given at line " + std::to_string(first->key_line) + ")");
      continue;
    }
    const YAML::Node node = pair.second;
    const YAML::Mark mark = isEmpty(node) ? key_node.Mark() : node.Mark();
    entries_.push_back(Entry{key, key_node.Mark().line + 1, Value{node, mark, path}});
  }
}

std::optional<Value> MapReader::get(std::string_view key) const {
  for (const Entry& entry : entries_) {
    if (entry.key == key) {
      return entry.value;
    }
  }
  return std::nullopt;
}

Value MapReader::getOrEmpty(std::string_view key) const {
  if (auto value = get(key)) {
    return *value;
  }
  return Value{YAML::Node(), mark_, childPath(key)};
}

void MapReader::reportMissing(std::string_view key) const {
  diag_.add(mark_, childPath(key), "required key is missing");
}

void MapReader::read(std::string_view key, bool& out) const {
  if (auto value = get(key)) {
    if (auto flag = readBool(diag_, *value)) {
      out = *flag;
    }
  }
}

void MapReader::read(std::string_view key, std::string& out) const {
  if (auto value = get(key)) {
    if (auto text = readString(diag_, *value)) {
      out = std::move(*text);
    }
  }
}

std::string MapReader::childPath(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

}  // namespace proxy::config::detail
