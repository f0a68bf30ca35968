// SPDX-License-Identifier: Apache-2.0
#include "proxy/transport/socket_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace proxy::transport {
namespace {

constexpr int kListenBacklog = 1024;

Error socketError(Protocol protocol, const Address& addr, std::string_view what, int err) {
  std::string detail = std::string(what) + " " + std::string(protocolName(protocol)) + " " +
                       addr.toString() + ": " +
                       std::error_code(err, std::generic_category()).message();
  return makeError(0, std::move(detail));
}

bool setFlag(int fd, int level, int option) {
  int on = 1;
  return setsockopt(fd, level, option, &on, sizeof(on)) == 0;
}

}  // namespace

Result<void> checkPortFree(Protocol protocol, const Address& addr) {
  // Our own sockets share the port with SO_REUSEPORT, which would also let a second
  // confabd join silently and take half the traffic. A probe bound without it
  // fails when anyone holds the port. TCP keeps SO_REUSEADDR so that connections
  // of a previous run lingering in TIME_WAIT do not count; for UDP it would let
  // the probe share the port, so it is left off there.
  int type = protocol == Protocol::Udp ? SOCK_DGRAM : SOCK_STREAM;
  int fd = socket(addr.family(), type | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return socketError(protocol, addr, "cannot create socket for", errno);
  }
  bool ok = type == SOCK_DGRAM || setFlag(fd, SOL_SOCKET, SO_REUSEADDR);
  if (ok && addr.family() == AF_INET6) {
    ok = setFlag(fd, IPPROTO_IPV6, IPV6_V6ONLY);
  }
  int err = 0;
  if (!ok || ::bind(fd, addr.raw(), addr.length()) != 0) {
    err = errno;
  }
  ::close(fd);
  if (err != 0) {
    return socketError(protocol, addr, "cannot bind", err);
  }
  return {};
}

Result<BoundSocket> openBoundSocket(Protocol protocol, const Address& addr) {
  if (addr.family() != AF_INET && addr.family() != AF_INET6) {
    return makeError(0, "cannot bind " + std::string(protocolName(protocol)) + ": no IP address");
  }
  int type = protocol == Protocol::Udp ? SOCK_DGRAM : SOCK_STREAM;
  int fd = socket(addr.family(), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return socketError(protocol, addr, "cannot create socket for", errno);
  }
  bool ok = setFlag(fd, SOL_SOCKET, SO_REUSEADDR) && setFlag(fd, SOL_SOCKET, SO_REUSEPORT);
  if (ok && addr.family() == AF_INET6) {
    ok = setFlag(fd, IPPROTO_IPV6, IPV6_V6ONLY);  // "::" and "0.0.0.0" can then coexist
  }
  if (!ok) {
    int err = errno;
    ::close(fd);
    return socketError(protocol, addr, "cannot set socket options for", err);
  }
  if (type == SOCK_DGRAM) {
    // Bursts of datagrams must queue in the kernel while the shard is busy: ask
    // for 4 MiB each way (the kernel caps it at net.core.[rw]mem_max; best effort).
    int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
  }
  if (::bind(fd, addr.raw(), addr.length()) != 0) {
    int err = errno;
    ::close(fd);
    return socketError(protocol, addr, "cannot bind", err);
  }
  if (type == SOCK_STREAM && ::listen(fd, kListenBacklog) != 0) {
    int err = errno;
    ::close(fd);
    return socketError(protocol, addr, "cannot listen on", err);
  }
  auto bound = localAddressOf(fd);
  if (!bound) {
    ::close(fd);
    return socketError(protocol, addr, "cannot read the address of", errno);
  }
  return BoundSocket{fd, *bound};
}

Result<int> openSourceBoundStreamSocket(const Address& source) {
  if (source.family() != AF_INET && source.family() != AF_INET6) {
    return makeError(0, "no IP address to bind to");
  }
  int fd = socket(source.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return socketError(Protocol::Tcp, source, "cannot create socket for", errno);
  }
  Address any_port = source;
  any_port.storage.sin6_port = 0;                    // same offset in sockaddr_in and sockaddr_in6
  setFlag(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT);  // best effort (Linux 4.2+)
  if (::bind(fd, any_port.raw(), any_port.length()) != 0) {
    int err = errno;
    ::close(fd);
    return socketError(Protocol::Tcp, any_port, "cannot bind outbound", err);
  }
  return fd;
}

bool isWildcardAddress(const Address& a) {
  if (a.family() == AF_INET) {
    return reinterpret_cast<const sockaddr_in*>(a.raw())->sin_addr.s_addr == htonl(INADDR_ANY);
  }
  return a.family() == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&a.storage.sin6_addr);
}

bool isLoopbackAddress(const Address& a) {
  if (a.family() == AF_INET) {
    return (ntohl(reinterpret_cast<const sockaddr_in*>(a.raw())->sin_addr.s_addr) >> 24) == 127;
  }
  return a.family() == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&a.storage.sin6_addr);
}

std::optional<Address> localAddressOf(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return std::nullopt;
  }
  return Address::fromSockaddr(reinterpret_cast<const sockaddr*>(&ss));
}

void closeUnadoptedSocket(int fd) {
  if (fd >= 0) {
    ::close(fd);
  }
}

}  // namespace proxy::transport
