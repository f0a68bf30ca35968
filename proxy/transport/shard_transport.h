// SPDX-License-Identifier: Apache-2.0
// ShardTransport is everything the transport owns on one shard: that shard's
// UDP sockets and stream listeners (one per configured listener), its stream
// connections, its per-source rate limiter and its read buffers. Transports
// creates one per shard in startShard() and destroys it in stopShard(), both on
// the shard's thread; every method runs on that thread. Process-wide pieces
// (config, TLS contexts, connection totals) live in TransportShared.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/transport/connection_table.h"
#include "proxy/transport/shard_services.h"
#include "proxy/transport/source_limits.h"
#include "proxy/transport/stream_listener.h"
#include "proxy/transport/tls_context.h"
#include "proxy/transport/transport.h"
#include "proxy/transport/udp_socket.h"
#include "proxy/uv/shard.h"

namespace proxy::transport {

// One configured listener after bind(): its address and a bound socket per shard.
struct ListenerPlan {
  ListenerConfig config;
  Address bound;                    // port 0 resolved
  std::vector<int> fds;             // per shard; -1 once that shard adopted it
  std::unique_ptr<TlsContext> tls;  // TLS listeners only
};

// State shared by every shard. Built before the shards start; afterwards only the
// atomics and the limiter change.
struct TransportShared {
  TransportShared(Limits l) : limits(l), per_source(l.max_connections_per_source) {}
  Limits limits;
  InboundHandler handler;
  ClosedHandler closed_handler;
  std::vector<ListenerPlan> listeners;
  TlsPeerOptions tls_peer;
  std::unique_ptr<TlsContext> client_tls;           // verifies nothing (tls_name empty)
  std::unique_ptr<TlsContext> verified_client_tls;  // RFC 5922 checks (tls_name set)
  SourceConnectionLimiter per_source;
  std::atomic<size_t> connections{0};  // open stream connections, all shards
};

class ShardTransport final : public ShardServices, private AcceptSink {
 public:
  ShardTransport(uv::Shard& shard, TransportShared& shared);
  ~ShardTransport() override;

  // Adopts this shard's sockets and starts receiving; errors name the listener.
  std::optional<std::string> start();
  // Closes listeners, sockets and connections (pending sends fail).
  void stop();

  void send(const Flow& flow, std::string bytes, SendDone done, bool reconnect);
  void sendTo(Protocol protocol, const Address& remote, std::string bytes, SendDone done,
              std::string_view tls_name = {});

  // ShardServices
  uv_loop_t& loop() override { return shard_.loop(); }
  unsigned shardId() const override { return shard_.id(); }
  const Limits& limits() const override { return shared_.limits; }
  uv_buf_t readBuffer() override;
  uv_buf_t writeScratch() override;
  void deliver(Inbound&& inbound) override;
  void onConnectionClosed(StreamConnection& connection, std::string_view reason) override;

 private:
  void onAcceptable(StreamListener& listener) override;
  // Applies the process-wide and per-source connection limits to a new peer.
  bool admit(const Address& peer);
  StreamConnection* connect(Protocol protocol, const Address& remote, std::string_view tls_name);
  // A new TCP handle for an outbound connection, bound to our listener's IP when we have one.
  std::optional<uv::Handle<uv_tcp_t>> outboundHandle(Protocol protocol, const Address& remote);
  void sendUdp(const Address& local, const Address& remote, std::string bytes, SendDone done);
  UdpSocket* udpSocketFor(const Address& local, int family);
  uint64_t nextConnectionId();

  uv::Shard& shard_;
  TransportShared& shared_;
  std::vector<std::unique_ptr<UdpSocket>> udp_;
  std::vector<std::unique_ptr<StreamListener>> listeners_;
  ConnectionTable connections_;
  SourceRateLimiter rate_;
  std::unique_ptr<char[]> read_buffer_;
  std::unique_ptr<char[]> write_scratch_;
  uint64_t connection_counter_ = 0;
  bool stopping_ = false;
};

}  // namespace proxy::transport
