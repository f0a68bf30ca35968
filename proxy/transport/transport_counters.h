// SPDX-License-Identifier: Apache-2.0
// The transport's counters, interned once so that bumping one (even on the
// message path) is a relaxed atomic add with no lock and no allocation. Names:
// transport.connections.{accepted,outbound,closed}, transport.keepalive.*, transport.tls.*,
// transport.close.idle_timeout and transport.drop.<reason>. Any thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "proxy/base/counters.h"
#include "proxy/transport/stream_framer.h"

namespace proxy::transport {

// Why a message, datagram, send or connection was dropped ("transport.drop.<name>").
enum class Drop : uint8_t {
  Oversize,                  // message over max_message_size (UDP or stream)
  HeaderTooLarge,            // stream: no blank line within the limit (or garbage)
  NoContentLength,           // stream message without Content-Length (RFC 3261 §18.3)
  BadContentLength,          // not a decimal number
  ConflictingContentLength,  // several that disagree
  RateLimit,                 // requests_per_second_per_source exceeded
  NoHandler,                 // no InboundHandler set
  MaxConnections,            // process-wide stream connection limit
  MaxConnectionsPerSource,   // per remote IP limit
  MessageTimeout,            // a started message did not complete in time (slowloris)
  HandshakeTimeout,          // TLS handshake did not complete in time
  ConnectTimeout,            // outbound connect did not complete in time
  ConnectFailed,             // outbound connect refused or unreachable
  TlsHandshake,              // TLS handshake failed
  TlsError,                  // TLS failed after the handshake
  TlsSetup,                  // could not create the TLS session
  SlowReader,                // queued writes exceeded max_pending_write_bytes
  QueueFull,                 // too much queued before a connection was up
  FlowGone,                  // send() on a connection that no longer exists
  UdpSendError,              // the kernel refused a datagram
  NoUdpSocket,               // no UDP listener for that address family
  Count
};

std::string_view dropName(Drop d);  // "oversize", "rate_limit", ...
Drop dropFor(FramingError e);       // e != None
void countDrop(Drop d);
uint64_t dropCount(Drop d);

struct TransportCounters {
  counters::Counter accepted = counters::get("transport.connections.accepted");
  counters::Counter outbound = counters::get("transport.connections.outbound");
  counters::Counter closed = counters::get("transport.connections.closed");
  counters::Counter idle_closed = counters::get("transport.close.idle_timeout");
  counters::Counter pings_answered = counters::get("transport.keepalive.pings_answered");
  counters::Counter udp_keepalives = counters::get("transport.keepalive.udp_ignored");
  // Outbound TLS whose server certificate failed the chain or RFC 5922 name check.
  counters::Counter tls_verify_failed = counters::get("transport.tls.verify_failed");
  // Inbound TLS client certificate that did not verify (connection kept, no identity).
  counters::Counter tls_client_cert_unverified =
      counters::get("transport.tls.client_cert_unverified");
};

const TransportCounters& transportCounters();

}  // namespace proxy::transport
