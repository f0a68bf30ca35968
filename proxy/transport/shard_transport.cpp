// SPDX-License-Identifier: Apache-2.0
#include "proxy/transport/shard_transport.h"

#include <cstring>

#include "proxy/base/log.h"
#include "proxy/base/strings.h"
#include "proxy/transport/socket_util.h"
#include "proxy/transport/transport_counters.h"

namespace proxy::transport {
namespace {
constexpr size_t kReadBufferSize = size_t{64} * 1024;
constexpr size_t kWriteScratchSize = size_t{64} * 1024;
constexpr unsigned kConnectionIdShardShift = 48;  // id = shard << 48 | per-shard counter
}  // namespace

ShardTransport::ShardTransport(uv::Shard& shard, TransportShared& shared)
    : shard_(shard),
      shared_(shared),
      connections_(shard.loop()),
      rate_(shared.limits.requests_per_second_per_source),
      read_buffer_(new char[kReadBufferSize]),
      write_scratch_(new char[kWriteScratchSize]) {}

ShardTransport::~ShardTransport() { stop(); }

std::optional<std::string> ShardTransport::start() {
  unsigned id = shard_.id();
  for (ListenerPlan& plan : shared_.listeners) {
    int fd = id < plan.fds.size() ? std::exchange(plan.fds[id], -1) : -1;
    if (fd < 0) {
      return "no socket bound for " + std::string(protocolName(plan.config.protocol)) + " " +
             plan.bound.toString() + " on shard " + std::to_string(id);
    }
    std::optional<std::string> error;
    if (plan.config.protocol == Protocol::Udp) {
      udp_.push_back(std::make_unique<UdpSocket>(*this, plan.bound));
      error = udp_.back()->open(fd);
    } else {
      listeners_.push_back(std::make_unique<StreamListener>(loop(), plan.config.protocol,
                                                            plan.bound, plan.tls.get(),
                                                            static_cast<AcceptSink&>(*this)));
      error = listeners_.back()->open(fd);
    }
    if (error) {
      return error;
    }
  }
  return std::nullopt;
}

void ShardTransport::stop() {
  if (stopping_) {
    return;
  }
  stopping_ = true;
  listeners_.clear();  // each closes its handle; the memory goes in the close callback
  udp_.clear();
  for (StreamConnection* c : connections_.snapshot()) {
    c->close("shutdown");
  }
  connections_.reap();
}

uv_buf_t ShardTransport::readBuffer() { return uv_buf_init(read_buffer_.get(), kReadBufferSize); }

uv_buf_t ShardTransport::writeScratch() {
  return uv_buf_init(write_scratch_.get(), kWriteScratchSize);
}

void ShardTransport::deliver(Inbound&& inbound) {
  // Responses are never rate-limited: dropping them only causes retransmissions of our
  // own requests. A status line starts with "SIP/" (RFC 3261 §7.2); a request line cannot.
  bool response = inbound.size >= 4 && std::memcmp(inbound.bytes.get(), "SIP/", 4) == 0;
  if (rate_.enabled() && !response && !rate_.allow(inbound.flow.remote, uv_now(&loop()))) {
    countDrop(Drop::RateLimit);
    return;
  }
  if (!shared_.handler) {
    countDrop(Drop::NoHandler);
    return;
  }
  shared_.handler(std::move(inbound));
}

void ShardTransport::onConnectionClosed(StreamConnection& connection, std::string_view reason) {
  transportCounters().closed.add();
  shared_.connections.fetch_sub(1, std::memory_order_relaxed);
  if (connection.origin() == StreamConnection::Origin::Accepted) {
    shared_.per_source.release(connection.flow().remote);
  }
  LOG_DEBUG("%s connection %llu with %s closed: %.*s",
            std::string(protocolName(connection.flow().protocol)).c_str(),
            static_cast<unsigned long long>(connection.id()),
            connection.flow().remote.toString().c_str(), static_cast<int>(reason.size()),
            reason.data());
  if (shared_.closed_handler && !stopping_) {
    shared_.closed_handler(connection.flow());
  }
  connections_.retire(connection);
}

bool ShardTransport::admit(const Address& peer) {
  if (shared_.connections.fetch_add(1, std::memory_order_relaxed) >= limits().max_connections) {
    shared_.connections.fetch_sub(1, std::memory_order_relaxed);
    countDrop(Drop::MaxConnections);
    return false;
  }
  if (!shared_.per_source.tryAcquire(peer)) {
    shared_.connections.fetch_sub(1, std::memory_order_relaxed);
    countDrop(Drop::MaxConnectionsPerSource);
    return false;
  }
  return true;
}

void ShardTransport::onAcceptable(StreamListener& listener) {
  uv::Handle<uv_tcp_t> tcp(loop(), uv_tcp_init);  // closes itself if we return early
  if (uv_accept(listener.stream(), reinterpret_cast<uv_stream_t*>(tcp.get())) != 0) {
    return;
  }
  sockaddr_storage peer_storage{};
  int len = sizeof(peer_storage);
  std::optional<Address> peer;
  if (uv_tcp_getpeername(tcp.get(), reinterpret_cast<sockaddr*>(&peer_storage), &len) == 0) {
    peer = Address::fromSockaddr(reinterpret_cast<const sockaddr*>(&peer_storage));
  }
  // Over a limit: accept and close at once, so the peer sees a reset, not a hang.
  if (!peer || stopping_ || !admit(*peer)) {
    return;
  }
  std::unique_ptr<TlsSession> tls;
  if (listener.tls() != nullptr) {
    tls = TlsSession::accept(*listener.tls());
    if (!tls) {
      shared_.connections.fetch_sub(1, std::memory_order_relaxed);
      shared_.per_source.release(*peer);
      countDrop(Drop::TlsSetup);
      return;
    }
  }
  transportCounters().accepted.add();
  Flow flow;
  flow.protocol = listener.protocol();
  flow.remote = *peer;
  flow.local = listener.local();
  flow.shard = shardId();
  flow.connection_id = nextConnectionId();
  connections_
      .add(std::make_unique<StreamConnection>(*this, std::move(tcp), flow, std::move(tls),
                                              StreamConnection::Origin::Accepted))
      .startAccepted();
}

uint64_t ShardTransport::nextConnectionId() {
  return (uint64_t{shardId()} << kConnectionIdShardShift) | ++connection_counter_;
}

std::optional<uv::Handle<uv_tcp_t>> ShardTransport::outboundHandle(Protocol protocol,
                                                                   const Address& remote) {
  uv::Handle<uv_tcp_t> tcp(loop(), uv_tcp_init);
  for (const ListenerPlan& plan : shared_.listeners) {
    const Address& ip = plan.bound;
    // A loopback listener cannot reach other hosts: those connections keep the default.
    if (plan.config.protocol != protocol || ip.family() != remote.family() ||
        isWildcardAddress(ip) || (isLoopbackAddress(ip) && !isLoopbackAddress(remote))) {
      continue;
    }
    auto fd = openSourceBoundStreamSocket(ip);
    if (!fd) {
      LOG_WARN("outbound %s to %s: %s", std::string(protocolName(protocol)).c_str(),
               remote.toString().c_str(), fd.error().detail.c_str());
      return std::nullopt;
    }
    if (int r = uv_tcp_open(tcp.get(), *fd); r != 0) {
      closeUnadoptedSocket(*fd);
      LOG_WARN("outbound %s to %s: cannot adopt socket: %s",
               std::string(protocolName(protocol)).c_str(), remote.toString().c_str(),
               uv_strerror(r));
      return std::nullopt;
    }
    break;
  }
  return tcp;
}

StreamConnection* ShardTransport::connect(Protocol protocol, const Address& remote,
                                          std::string_view tls_name) {
  if (stopping_ || (remote.family() != AF_INET && remote.family() != AF_INET6)) {
    return nullptr;
  }
  if (shared_.connections.fetch_add(1, std::memory_order_relaxed) >= limits().max_connections) {
    shared_.connections.fetch_sub(1, std::memory_order_relaxed);
    countDrop(Drop::MaxConnections);
    return nullptr;
  }
  std::unique_ptr<TlsSession> tls;
  if (protocol == Protocol::Tls) {
    // A name means "prove you are this domain" (SNI + RFC 5922 checks); else no checks.
    const TlsContext* context =
        tls_name.empty() ? shared_.client_tls.get() : shared_.verified_client_tls.get();
    std::string server_name = tls_name.empty() ? remote.ip() : std::string(tls_name);
    tls = context != nullptr ? TlsSession::connect(*context, server_name) : nullptr;
    if (!tls) {
      shared_.connections.fetch_sub(1, std::memory_order_relaxed);
      countDrop(Drop::TlsSetup);
      return nullptr;
    }
  }
  std::optional<uv::Handle<uv_tcp_t>> tcp = outboundHandle(protocol, remote);
  if (!tcp) {
    shared_.connections.fetch_sub(1, std::memory_order_relaxed);
    countDrop(Drop::ConnectFailed);
    return nullptr;
  }
  transportCounters().outbound.add();
  Flow flow;
  flow.protocol = protocol;
  flow.remote = remote;
  flow.shard = shardId();
  flow.connection_id = nextConnectionId();
  auto connection = std::make_unique<StreamConnection>(*this, std::move(*tcp), flow, std::move(tls),
                                                       StreamConnection::Origin::Outbound);
  if (protocol == Protocol::Tls) {
    connection->setVerifiedName(toLower(tls_name));
  }
  StreamConnection& c = connections_.add(std::move(connection));
  if (!c.startConnect()) {
    countDrop(Drop::ConnectFailed);
    c.close("connect_failed");
    return nullptr;
  }
  return &c;
}

void ShardTransport::send(const Flow& flow, std::string bytes, SendDone done, bool reconnect) {
  if (flow.protocol == Protocol::Udp) {
    sendUdp(flow.local, flow.remote, std::move(bytes), std::move(done));
    return;
  }
  StreamConnection* c = connections_.find(flow.connection_id);
  // Connection ids restart with the process: a flow restored from the store may name a
  // connection that now belongs to someone else, so the remote address must match too.
  if (c != nullptr && c->flow().protocol == flow.protocol && c->flow().remote == flow.remote) {
    c->send(std::move(bytes), std::move(done));
    return;
  }
  if (reconnect) {  // e.g. the Contact host once the client's own flow is gone
    sendTo(flow.protocol, flow.remote, std::move(bytes), std::move(done), {});
    return;
  }
  countDrop(Drop::FlowGone);
  if (done) {
    done(false);
  }
}

void ShardTransport::sendTo(Protocol protocol, const Address& remote, std::string bytes,
                            SendDone done, std::string_view tls_name) {
  if (protocol == Protocol::Udp) {
    sendUdp(Address{}, remote, std::move(bytes), std::move(done));
    return;
  }
  std::string name = protocol == Protocol::Tls ? toLower(tls_name) : std::string();
  StreamConnection* c = connections_.findByRemote(protocol, remote, name);
  if (c == nullptr) {
    c = connect(protocol, remote, name);
  }
  if (c == nullptr) {
    if (done) {
      done(false);
    }
    return;
  }
  c->send(std::move(bytes), std::move(done));
}

void ShardTransport::sendUdp(const Address& local, const Address& remote, std::string bytes,
                             SendDone done) {
  UdpSocket* socket = stopping_ ? nullptr : udpSocketFor(local, remote.family());
  if (socket == nullptr) {
    countDrop(Drop::NoUdpSocket);
    if (done) {
      done(false);
    }
    return;
  }
  socket->send(remote, std::move(bytes), std::move(done));
}

UdpSocket* ShardTransport::udpSocketFor(const Address& local, int family) {
  if (local.family() != AF_UNSPEC) {
    for (auto& s : udp_) {
      if (s->local() == local) {
        return s.get();
      }
    }
  }
  for (auto& s : udp_) {
    if (s->local().family() == family) {
      return s.get();
    }
  }
  return nullptr;
}

}  // namespace proxy::transport
