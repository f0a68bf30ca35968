// SPDX-License-Identifier: Apache-2.0
#include "proxy/config/cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "proxy/base/strings.h"

namespace proxy::config {
namespace {

constexpr uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// Parses a bare IPv4 or IPv6 literal into `bytes`; returns the family or 0.
int parseAddress(std::string_view text, uint8_t* bytes) {
  char buffer[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof buffer) {
    return 0;
  }
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  if (inet_pton(AF_INET, buffer, bytes) == 1) {
    return AF_INET;
  }
  if (inet_pton(AF_INET6, buffer, bytes) == 1) {
    return AF_INET6;
  }
  return 0;
}

Error syntaxError(std::string_view text) {
  return makeError(
      0, "expected a network such as 10.0.0.0/8 or fd00::/8, got \"" + std::string(text) + "\"");
}

}  // namespace

Result<Cidr> Cidr::parse(std::string_view text) {
  const std::string_view trimmed = trim(text);
  const size_t slash = trimmed.find('/');
  Cidr cidr;
  cidr.text_ = std::string(trimmed);
  cidr.family_ = parseAddress(trimmed.substr(0, slash), cidr.network_.data());
  if (cidr.family_ == 0) {
    return syntaxError(text);
  }
  const unsigned max_length = cidr.family_ == AF_INET ? 32 : 128;
  cidr.prefix_length_ = max_length;
  if (slash != std::string_view::npos) {
    auto length = parseUnsigned<unsigned>(trimmed.substr(slash + 1));
    if (!length || *length > max_length) {
      return makeError(0, "expected a prefix length 0-" + std::to_string(max_length) +
                              " after '/', got \"" + std::string(text) + "\"");
    }
    cidr.prefix_length_ = *length;
  }
  // Host bits set usually means a mistyped prefix; say which network was meant.
  Cidr masked = cidr;
  for (unsigned bit = cidr.prefix_length_; bit < max_length; ++bit) {
    masked.network_[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  }
  if (masked.network_ != cidr.network_) {
    char buffer[INET6_ADDRSTRLEN];
    inet_ntop(cidr.family_, masked.network_.data(), buffer, sizeof buffer);
    return makeError(0, "\"" + std::string(text) + "\" has host bits set (did you mean \"" +
                            buffer + "/" + std::to_string(cidr.prefix_length_) + "\"?)");
  }
  return cidr;
}

bool Cidr::containsRaw(int family, const uint8_t* bytes) const {
  if (family == AF_INET6 && family_ == AF_INET &&
      std::memcmp(bytes, kV4MappedPrefix, sizeof kV4MappedPrefix) == 0) {
    family = AF_INET;
    bytes += sizeof kV4MappedPrefix;
  }
  if (family != family_) {
    return false;
  }
  const unsigned whole = prefix_length_ / 8;
  if (std::memcmp(bytes, network_.data(), whole) != 0) {
    return false;
  }
  const unsigned rest = prefix_length_ % 8;
  if (rest == 0) {
    return true;
  }
  const auto mask = static_cast<uint8_t>(0xff00u >> rest);
  return (bytes[whole] & mask) == network_[whole];
}

bool Cidr::contains(std::string_view ip) const {
  uint8_t bytes[16];
  const int family = parseAddress(trim(ip), bytes);
  return family != 0 && containsRaw(family, bytes);
}

bool Cidr::contains(const sockaddr* address) const {
  if (address == nullptr) {
    return false;
  }
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    return containsRaw(AF_INET, reinterpret_cast<const uint8_t*>(&v4->sin_addr));
  }
  if (address->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    return containsRaw(AF_INET6, v6->sin6_addr.s6_addr);
  }
  return false;
}

}  // namespace proxy::config
