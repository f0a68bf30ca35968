// SPDX-License-Identifier: Apache-2.0
// Transports: the process-wide facade. bind() runs on the main thread before the
// shards start; startShard/stopShard run on each shard; send/sendTo hop to the
// right shard with one post() when the caller is elsewhere.
#include <csignal>

#include "proxy/base/log.h"
#include "proxy/transport/shard_transport.h"
#include "proxy/transport/socket_util.h"
#include "proxy/transport/transport.h"
#include "proxy/transport/transport_counters.h"

namespace proxy::transport {

struct Transports::Impl {
  Impl(uv::ShardSet& s, std::vector<ListenerConfig> configs, Limits limits)
      : shards(s), shared(limits), per_shard(s.size()) {
    for (auto& config : configs) {
      ListenerPlan plan;
      plan.config = std::move(config);
      shared.listeners.push_back(std::move(plan));
    }
  }

  // The calling shard if it belongs to this ShardSet, else nullptr.
  uv::Shard* currentShard() const {
    uv::Shard* cur = uv::Shard::current();
    if (cur != nullptr && cur->id() < shards.size() && &shards.shard(cur->id()) == cur) {
      return cur;
    }
    return nullptr;
  }

  // The shard's transport; only valid on that shard's thread.
  ShardTransport* on(unsigned shard) const { return per_shard[shard].get(); }

  std::optional<std::string> bindListener(ListenerPlan& plan);
  void closeUnadopted();

  uv::ShardSet& shards;
  TransportShared shared;
  // Slot i is created, used and destroyed only on shard i's thread.
  std::vector<std::unique_ptr<ShardTransport>> per_shard;
};

namespace {
void fail(SendDone& done) {
  if (done) {
    done(false);
  }
}
}  // namespace

std::optional<std::string> Transports::Impl::bindListener(ListenerPlan& plan) {
  const ListenerConfig& config = plan.config;
  auto address = Address::fromIpPort(config.address, config.port);
  if (!address) {
    return "cannot bind " + std::string(protocolName(config.protocol)) + " " + config.address +
           ": not an IP address";
  }
  if (config.protocol == Protocol::Tls) {
    TlsContext::ServerOptions options;
    options.request_client_certificates = shared.tls_peer.request_client_certificates;
    options.ca_file = shared.tls_peer.ca_file;
    auto tls = TlsContext::server(config.certificate_file, config.private_key_file, options);
    if (!tls) {
      return tls.error().detail;
    }
    plan.tls = std::move(tls).value();
  }
  if (config.port != 0) {
    if (auto free = checkPortFree(config.protocol, *address); !free) {
      return free.error().detail;
    }
  }
  plan.fds.assign(shards.size(), -1);
  for (unsigned i = 0; i < shards.size(); ++i) {
    // Port 0: the first socket picks the port and the others join it (SO_REUSEPORT).
    auto bound = openBoundSocket(config.protocol, i == 0 ? *address : plan.bound);
    if (!bound) {
      return bound.error().detail;
    }
    plan.fds[i] = bound->fd;
    plan.bound = bound->bound;
  }
  LOG_INFO("listening on %s %s (%u shards)", std::string(protocolName(config.protocol)).c_str(),
           plan.bound.toString().c_str(), shards.size());
  return std::nullopt;
}

void Transports::Impl::closeUnadopted() {
  for (ListenerPlan& plan : shared.listeners) {
    for (int& fd : plan.fds) {
      closeUnadoptedSocket(std::exchange(fd, -1));
    }
  }
}

Transports::Transports(uv::ShardSet& shards, std::vector<ListenerConfig> listeners, Limits limits)
    : impl_(std::make_unique<Impl>(shards, std::move(listeners), limits)) {}

Transports::~Transports() { impl_->closeUnadopted(); }

std::optional<std::string> Transports::bind() {
  // libuv writes to streams with write(2): a peer that reset its connection would raise
  // SIGPIPE and kill the process. Errors come back as EPIPE instead.
  ::signal(SIGPIPE, SIG_IGN);
  const TlsPeerOptions& peer = impl_->shared.tls_peer;
  TlsContext::ClientOptions options;
  // Our certificate goes to any server that asks, verified connection or not.
  options.client_certificate = peer.client_certificate;
  options.client_private_key = peer.client_private_key;
  auto client = TlsContext::client(options);
  if (!client) {
    return client.error().detail;
  }
  impl_->shared.client_tls = std::move(client).value();
  options.verify_peer = true;
  options.ca_file = peer.ca_file;
  auto verified = TlsContext::client(options);
  if (!verified) {
    return verified.error().detail;
  }
  impl_->shared.verified_client_tls = std::move(verified).value();
  for (ListenerPlan& plan : impl_->shared.listeners) {
    if (auto error = impl_->bindListener(plan)) {
      impl_->closeUnadopted();
      return error;
    }
  }
  return std::nullopt;
}

std::vector<uint16_t> Transports::boundPorts() const {
  std::vector<uint16_t> ports;
  for (const ListenerPlan& plan : impl_->shared.listeners) {
    ports.push_back(plan.bound.port());
  }
  return ports;
}

void Transports::setTlsPeerOptions(TlsPeerOptions options) {
  impl_->shared.tls_peer = std::move(options);
}

void Transports::setHandler(InboundHandler handler) { impl_->shared.handler = std::move(handler); }

void Transports::setClosedHandler(ClosedHandler handler) {
  impl_->shared.closed_handler = std::move(handler);
}

size_t Transports::connectionCount() const {
  return impl_->shared.connections.load(std::memory_order_relaxed);
}

void Transports::startShard(uv::Shard& shard) {
  auto state = std::make_unique<ShardTransport>(shard, impl_->shared);
  if (auto error = state->start()) {
    LOG_ERROR("shard %u: %s", shard.id(), error->c_str());
  }
  impl_->per_shard[shard.id()] = std::move(state);
}

void Transports::stopShard(uv::Shard& shard) {
  std::unique_ptr<ShardTransport> state = std::move(impl_->per_shard[shard.id()]);
  if (state) {
    state->stop();
  }
}

void Transports::send(const Flow& flow, std::string bytes, SendDone done, bool reconnect) {
  uv::Shard* cur = impl_->currentShard();
  unsigned owner = flow.shard;
  // UDP: every shard has a socket on the same address, so send from where we are.
  if (flow.protocol == Protocol::Udp && cur != nullptr) {
    owner = cur->id();
  }
  if (owner >= impl_->shards.size()) {
    countDrop(Drop::FlowGone);
    fail(done);
    return;
  }
  if (cur != nullptr && cur->id() == owner) {
    if (ShardTransport* st = impl_->on(owner)) {
      st->send(flow, std::move(bytes), std::move(done), reconnect);
    } else {
      fail(done);
    }
    return;
  }
  Impl* impl = impl_.get();
  impl->shards.post(owner, [impl, owner, flow, bytes = std::move(bytes), done = std::move(done),
                            reconnect]() mutable {
    if (ShardTransport* st = impl->on(owner)) {
      st->send(flow, std::move(bytes), std::move(done), reconnect);
    } else {
      fail(done);
    }
  });
}

void Transports::sendTo(Protocol protocol, const Address& remote, std::string bytes, SendDone done,
                        std::string tls_name) {
  uv::Shard* cur = impl_->currentShard();
  unsigned shard = cur != nullptr ? cur->id() : impl_->shards.shardOf(remote.toString());
  if (cur != nullptr) {
    if (ShardTransport* st = impl_->on(shard)) {
      st->sendTo(protocol, remote, std::move(bytes), std::move(done), tls_name);
    } else {
      fail(done);
    }
    return;
  }
  Impl* impl = impl_.get();
  impl->shards.post(shard, [impl, shard, protocol, remote, bytes = std::move(bytes),
                            done = std::move(done), tls_name = std::move(tls_name)]() mutable {
    if (ShardTransport* st = impl->on(shard)) {
      st->sendTo(protocol, remote, std::move(bytes), std::move(done), tls_name);
    } else {
      fail(done);
    }
  });
}

}  // namespace proxy::transport
