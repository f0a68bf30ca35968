// SPDX-License-Identifier: Apache-2.0
// Address, Flow token and protocol name helpers (pure, no I/O).
#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "proxy/base/strings.h"
#include "proxy/transport/transport.h"

namespace proxy::transport {

std::string_view protocolName(Protocol p) {
  switch (p) {
    case Protocol::Udp:
      return "UDP";
    case Protocol::Tcp:
      return "TCP";
    case Protocol::Tls:
      return "TLS";
  }
  return "UDP";
}

namespace {

std::string_view tokenPrefix(Protocol p) {
  switch (p) {
    case Protocol::Udp:
      return "udp";
    case Protocol::Tcp:
      return "tcp";
    case Protocol::Tls:
      return "tls";
  }
  return "udp";
}

std::optional<Protocol> protocolFromToken(std::string_view s) {
  if (iequals(s, "udp")) {
    return Protocol::Udp;
  }
  if (iequals(s, "tcp")) {
    return Protocol::Tcp;
  }
  if (iequals(s, "tls")) {
    return Protocol::Tls;
  }
  return std::nullopt;
}

const sockaddr_in& v4(const Address& a) { return reinterpret_cast<const sockaddr_in&>(a.storage); }
const sockaddr_in6& v6(const Address& a) {
  return reinterpret_cast<const sockaddr_in6&>(a.storage);
}

// Appends the IP text: IPv4 by hand (inet_ntop's generic formatting cost more
// than the rest of a flow token), IPv6 through inet_ntop.
char* putIp(const Address& a, char* p) {
  if (a.family() == AF_INET) {
    const auto* b = reinterpret_cast<const unsigned char*>(&v4(a).sin_addr);
    for (int i = 0; i < 4; ++i) {
      if (i > 0) {
        *p++ = '.';
      }
      p = std::to_chars(p, p + 3, b[i]).ptr;
    }
    return p;
  }
  if (a.family() == AF_INET6) {
    inet_ntop(AF_INET6, &v6(a).sin6_addr, p, INET6_ADDRSTRLEN);
    return p + std::strlen(p);
  }
  return p;
}

// "ip:port" or "[ip]:port" into `p`, which has room for kMaxAddressText chars.
constexpr size_t kMaxAddressText = INET6_ADDRSTRLEN + 8;
char* putAddress(const Address& a, char* p) {
  const bool v6_literal = a.family() == AF_INET6;
  if (v6_literal) {
    *p++ = '[';
  }
  p = putIp(a, p);
  if (v6_literal) {
    *p++ = ']';
  }
  *p++ = ':';
  return std::to_chars(p, p + 5, a.port()).ptr;
}

// Splits off the text before the next '/'.
std::string_view nextField(std::string_view& s) {
  size_t slash = s.find('/');
  std::string_view field = s.substr(0, slash);
  s = slash == std::string_view::npos ? std::string_view() : s.substr(slash + 1);
  return field;
}

}  // namespace

std::optional<Address> Address::fromIpPort(std::string_view ip, uint16_t port) {
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') {
    ip = ip.substr(1, ip.size() - 2);
  }
  char text[INET6_ADDRSTRLEN + 1];
  if (ip.empty() || ip.size() >= sizeof(text)) {
    return std::nullopt;
  }
  std::memcpy(text, ip.data(), ip.size());
  text[ip.size()] = '\0';
  Address a;
  if (ip.find(':') == std::string_view::npos) {
    auto& sin = reinterpret_cast<sockaddr_in&>(a.storage);
    if (inet_pton(AF_INET, text, &sin.sin_addr) != 1) {
      return std::nullopt;
    }
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    return a;
  }
  auto& sin6 = reinterpret_cast<sockaddr_in6&>(a.storage);
  if (inet_pton(AF_INET6, text, &sin6.sin6_addr) != 1) {
    return std::nullopt;
  }
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port);
  return a;
}

std::optional<Address> Address::parse(std::string_view ip_port) {
  size_t colon = ip_port.rfind(':');
  if (colon == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view host = ip_port.substr(0, colon);
  // A bare IPv6 literal has more colons; it must be bracketed when a port follows.
  if (host.find(':') != std::string_view::npos && (host.empty() || host.front() != '[')) {
    return std::nullopt;
  }
  auto port = parseUnsigned<uint16_t>(ip_port.substr(colon + 1));
  if (!port) {
    return std::nullopt;
  }
  return fromIpPort(host, *port);
}

std::optional<Address> Address::fromSockaddr(const sockaddr* sa) {
  if (sa == nullptr) {
    return std::nullopt;
  }
  Address a;
  if (sa->sa_family == AF_INET) {
    std::memcpy(&a.storage, sa, sizeof(sockaddr_in));
    return a;
  }
  if (sa->sa_family == AF_INET6) {
    std::memcpy(&a.storage, sa, sizeof(sockaddr_in6));
    return a;
  }
  return std::nullopt;
}

std::string Address::ip() const {
  char text[INET6_ADDRSTRLEN];
  return std::string(text, putIp(*this, text));
}

uint16_t Address::port() const {
  if (family() == AF_INET) {
    return ntohs(v4(*this).sin_port);
  }
  if (family() == AF_INET6) {
    return ntohs(v6(*this).sin6_port);
  }
  return 0;
}

std::string Address::toString() const {
  char text[kMaxAddressText];
  return std::string(text, putAddress(*this, text));
}

socklen_t Address::length() const {
  if (family() == AF_INET) {
    return sizeof(sockaddr_in);
  }
  if (family() == AF_INET6) {
    return sizeof(sockaddr_in6);
  }
  return 0;
}

bool Address::operator==(const Address& o) const {
  if (family() != o.family()) {
    return false;
  }
  if (family() == AF_INET) {
    return v4(*this).sin_port == v4(o).sin_port &&
           v4(*this).sin_addr.s_addr == v4(o).sin_addr.s_addr;
  }
  if (family() == AF_INET6) {
    return v6(*this).sin6_port == v6(o).sin6_port &&
           v6(*this).sin6_scope_id == v6(o).sin6_scope_id &&
           std::memcmp(&v6(*this).sin6_addr, &v6(o).sin6_addr, sizeof(in6_addr)) == 0;
  }
  return true;  // two unset addresses
}

size_t Address::hash() const {
  // FNV-1a over exactly the bytes operator== compares.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](const void* p, size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) {
      h = (h ^ b[i]) * 1099511628211ull;
    }
  };
  if (family() == AF_INET) {
    mix(&v4(*this).sin_addr, sizeof(in_addr));
    mix(&v4(*this).sin_port, sizeof(in_port_t));
  } else if (family() == AF_INET6) {
    mix(&v6(*this).sin6_addr, sizeof(in6_addr));
    mix(&v6(*this).sin6_port, sizeof(in_port_t));
    mix(&v6(*this).sin6_scope_id, sizeof(uint32_t));
  }
  return static_cast<size_t>(h);
}

std::string Flow::token() const {
  // "tls/" + two decimals with their slashes + the address; formatted on the
  // stack and copied once (one allocation at most).
  char text[4 + 11 + 21 + kMaxAddressText];
  char* p = std::copy_n(tokenPrefix(protocol).data(), 3, text);
  *p++ = '/';
  p = std::to_chars(p, p + 10, shard).ptr;
  *p++ = '/';
  p = std::to_chars(p, p + 20, connection_id).ptr;
  *p++ = '/';
  p = putAddress(remote, p);
  return std::string(text, p);
}

std::optional<Flow> Flow::fromToken(std::string_view token) {
  std::string_view rest = token;
  auto protocol = protocolFromToken(nextField(rest));
  auto shard = parseUnsigned<unsigned>(nextField(rest));
  auto connection_id = parseUnsigned<uint64_t>(nextField(rest));
  auto remote = Address::parse(rest);  // the remainder; IPv6 text holds no '/'
  if (!protocol || !shard || !connection_id || !remote) {
    return std::nullopt;
  }
  if ((*protocol == Protocol::Udp) != (*connection_id == 0)) {
    return std::nullopt;  // UDP flows have no connection; stream flows always have one
  }
  Flow flow;
  flow.protocol = *protocol;
  flow.remote = *remote;
  flow.shard = *shard;
  flow.connection_id = *connection_id;
  return flow;
}

}  // namespace proxy::transport
