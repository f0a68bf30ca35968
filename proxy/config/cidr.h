// SPDX-License-Identifier: Apache-2.0
// An IPv4 or IPv6 network in CIDR notation ("10.0.0.0/8", "fd00::/8"), parsed
// once at config load so the per-request check is a few byte compares. Used for
// auth.trusted_networks. Immutable after parsing; safe to share across threads.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/base/result.h"

namespace proxy::config {

class Cidr {
 public:
  // Accepts "addr/len" or a bare address (a single host, /32 or /128). Host bits
  // below the prefix must be zero: "10.1.0.0/8" is rejected as a likely typo.
  // On failure the Error detail says what was expected (no position; the caller adds it).
  static Result<Cidr> parse(std::string_view text);

  // True when `ip` (a textual IPv4/IPv6 address) lies inside. Unparsable text is
  // never contained. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, what a dual-stack
  // socket reports) match IPv4 networks.
  bool contains(std::string_view ip) const;
  // Same for a socket address (AF_INET or AF_INET6; any other family is false).
  bool contains(const sockaddr* address) const;

  const std::string& text() const { return text_; }  // as written in the config
  int family() const { return family_; }             // AF_INET or AF_INET6
  unsigned prefixLength() const { return prefix_length_; }

 private:
  bool containsRaw(int family, const uint8_t* bytes) const;

  std::string text_;
  int family_ = AF_INET;
  std::array<uint8_t, 16> network_{};  // the first 4 bytes for IPv4
  unsigned prefix_length_ = 0;
};

}  // namespace proxy::config
