// SPDX-License-Identifier: Apache-2.0
// Raw socket set-up that libuv 1.44 cannot do for us: listening sockets with
// SO_REUSEPORT, so that every shard binds its own socket to the same address
// and the kernel spreads datagrams and connections across shards (used by
// Transports::bind() on the main thread before the shards start), and outbound
// sockets bound to a listener's IP (used on shard threads).
#pragma once

#include <string>

#include "proxy/base/result.h"
#include "proxy/transport/transport.h"

namespace proxy::transport {

struct BoundSocket {
  int fd = -1;
  Address bound;  // the address actually bound (port 0 resolved)
};

// Fails (e.g. "Address already in use") when another socket, even of another
// process using SO_REUSEPORT, holds `addr`. Call before binding a fixed port.
Result<void> checkPortFree(Protocol protocol, const Address& addr);

// Creates a non-blocking socket for `protocol` (UDP datagram, TCP/TLS stream) with
// SO_REUSEADDR and SO_REUSEPORT, binds it to `addr` and, for streams, listens.
// On failure the error detail reads "cannot bind TCP 127.0.0.1:5060: Address already in use".
Result<BoundSocket> openBoundSocket(Protocol protocol, const Address& addr);

// A non-blocking stream socket bound to `source`'s IP for an outbound connection
// (port 0). IP_BIND_ADDRESS_NO_PORT defers the port choice to connect(), so binding
// does not use up one ephemeral port per connection regardless of destination.
// Returns the descriptor, for the caller to hand to uv_tcp_open.
Result<int> openSourceBoundStreamSocket(const Address& source);

// Whether `a` is the wildcard address (0.0.0.0 or ::) or a loopback address.
bool isWildcardAddress(const Address& a);
bool isLoopbackAddress(const Address& a);

// The local address of a socket (getsockname), or nullopt.
std::optional<Address> localAddressOf(int fd);

// Closes a descriptor that was never handed to libuv (ignores -1).
void closeUnadoptedSocket(int fd);

}  // namespace proxy::transport
