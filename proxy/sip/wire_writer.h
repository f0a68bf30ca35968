// SPDX-License-Identifier: Apache-2.0
// Internal to proxy/sip: appends a message of known length to a std::string.
// The caller adds up the length first, so the string grows once and each piece
// is a plain copy, without the capacity check of std::string::append.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "proxy/base/assert.h"

namespace proxy::sip {

// A decimal number's text, for measuring it before writing it.
class Decimal {
 public:
  template <typename Integer>
  explicit Decimal(Integer n) {
    auto [end, ec] = std::to_chars(digits_, digits_ + sizeof(digits_), n);
    (void)ec;  // 24 octets hold any 64-bit integer
    size_ = static_cast<size_t>(end - digits_);
  }
  std::string_view text() const { return {digits_, size_}; }
  size_t size() const { return size_; }

 private:
  char digits_[24];
  size_t size_;
};

class WireWriter {
 public:
  // Grows `out` by `size` octets, which the put() calls must fill exactly.
  WireWriter(std::string& out, size_t size) : out_(out) {
    const size_t begin = out.size();
    out.resize(begin + size);
    p_ = out.data() + begin;
  }
  ~WireWriter() { ASSERT(p_ == out_.data() + out_.size()); }
  WireWriter(const WireWriter&) = delete;
  WireWriter& operator=(const WireWriter&) = delete;

  void put(std::string_view s) {
    if (!s.empty()) {  // memcpy from a null data() is undefined even for 0 octets
      std::memcpy(p_, s.data(), s.size());
      p_ += s.size();
    }
  }
  // String literals ("\r\n", ": ") copy with a constant length.
  template <size_t N>
  void put(const char (&literal)[N]) {
    std::memcpy(p_, literal, N - 1);
    p_ += N - 1;
  }
  void put(const Decimal& n) { put(n.text()); }

  // "name: value\r\n", and its length.
  void putLine(std::string_view name, std::string_view value) {
    put(name);
    put(": ");
    put(value);
    put("\r\n");
  }
  static size_t lineSize(std::string_view name, std::string_view value) {
    return name.size() + value.size() + 4;
  }

 private:
  std::string& out_;
  char* p_;
};

}  // namespace proxy::sip
