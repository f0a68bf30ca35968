// SPDX-License-Identifier: Apache-2.0
// Result<T>: a value or an Error, the data-path alternative to exceptions.
// It mirrors the std::expected surface (operator bool, *, ->, value(), error())
// so moving to C++23 is a one-line alias. An Error carries the SIP status a
// parse or policy failure maps to, so callers can answer without guessing.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace proxy {

struct Error {
  int status = 500;    // SIP status code to answer with (400, 420, 483, ...), or 0 = drop
  std::string detail;  // human-readable reason; used as the reason phrase / log text
};

inline Error makeError(int status, std::string detail) { return Error{status, std::move(detail)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  explicit operator bool() const { return v_.index() == 0; }
  bool ok() const { return v_.index() == 0; }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  explicit operator bool() const { return ok_; }
  bool ok() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace proxy
