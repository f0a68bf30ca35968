// SPDX-License-Identifier: Apache-2.0
// Parameters of a URI, a name-addr or a Via (";name=value" lists), as views
// into the text they were parsed from. The first few live inside the list, so
// parsing a typical address allocates nothing; longer lists spill to the heap.
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace proxy::sip {

struct Param {
  std::string_view name;   // as written (compare case-insensitively)
  std::string_view value;  // empty when the parameter has no "=value"; quotes stripped
  bool has_value = false;
  bool quoted = false;  // the value was a quoted-string (escapes inside are kept)
};

class ParamList {
 public:
  // Enough for nearly every Via (branch, rport, received) and address (tag,
  // expires, +sip.instance, reg-id).
  static constexpr size_t kInline = 4;

  ParamList() {}  // leaves the inline slots uninitialized: only [0, size_) is ever read
  // Copies and moves take the slots in use only.
  ParamList(const ParamList& other) : size_(other.size_), heap_(other.heap_) { copySlots(other); }
  ParamList(ParamList&& other) noexcept : size_(other.size_), heap_(std::move(other.heap_)) {
    copySlots(other);
    other.size_ = 0;
  }
  ParamList& operator=(const ParamList& other) {
    if (this != &other) {
      size_ = other.size_;
      heap_ = other.heap_;
      copySlots(other);
    }
    return *this;
  }
  ParamList& operator=(ParamList&& other) noexcept {
    if (this != &other) {
      size_ = other.size_;
      heap_ = std::move(other.heap_);
      copySlots(other);
      other.size_ = 0;
    }
    return *this;
  }
  ~ParamList() = default;

  void add(const Param& p) {
    if (size_ < kInline) {
      inline_.slots[size_] = p;
    } else {
      if (size_ == kInline) {
        heap_.assign(inline_.slots, inline_.slots + kInline);  // from now on heap_ holds all
      }
      heap_.push_back(p);
    }
    ++size_;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const Param* begin() const { return data(); }
  const Param* end() const { return data() + size_; }
  const Param& operator[](size_t i) const { return data()[i]; }
  std::span<const Param> span() const { return {data(), size_}; }

  // The same parameters as a std::vector, for the vector-returning params()
  // accessors. Built on first use when the list is inline, so calling it on
  // one object from several threads at once is a data race (the parsed values
  // are per-request and never shared that way); prefer span().
  const std::vector<Param>& vector() const {
    if (size_ <= kInline && heap_.size() != size_) {
      heap_.assign(inline_.slots, inline_.slots + size_);
    }
    return heap_;
  }

 private:
  const Param* data() const { return size_ <= kInline ? inline_.slots : heap_.data(); }
  void copySlots(const ParamList& other) {
    std::copy_n(other.inline_.slots, std::min(other.size_, kInline), inline_.slots);
  }

  // A union, so constructing a list (one per parsed URI, address or Via)
  // writes nothing here.
  union Slots {
    Slots() {}
    Param slots[kInline];
  } inline_;
  size_t size_ = 0;
  // Every parameter once there are more than kInline; otherwise empty, or the
  // copy vector() made (lists only grow, so a copy of the right size is current).
  mutable std::vector<Param> heap_;
};

}  // namespace proxy::sip
