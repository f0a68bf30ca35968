// SPDX-License-Identifier: Apache-2.0
// The transport layer: UDP, TCP and TLS listeners and connections on the shard
// loops. It frames stream input by Content-Length, answers CRLF keep-alives
// (RFC 5626 §4.4), enforces size/connection/rate limits, and hands each complete
// message up as raw bytes with the Flow it arrived on. It knows nothing of SIP
// semantics beyond framing.
//
// Threading: one ShardTransport per shard, created and used on that shard's
// thread. A Flow names the shard that owns its socket; Transports::send() from
// any shard posts to the owner when needed. Responses and requests to a client
// registered over TCP/TLS go down the connection it used (the flow), never to
// the host in its Contact, which is often unreachable.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/uv/shard.h"

namespace proxy::transport {

enum class Protocol : uint8_t { Udp, Tcp, Tls };
std::string_view protocolName(Protocol p);  // "UDP", "TCP", "TLS"

// A socket address we can print, compare and store.
struct Address {
  sockaddr_storage storage{};
  static std::optional<Address> fromIpPort(std::string_view ip, uint16_t port);
  std::string ip() const;         // "127.0.0.1", "::1"
  uint16_t port() const;
  std::string toString() const;   // "127.0.0.1:5060", "[::1]:5060"
  bool operator==(const Address& o) const;
};

// Where a message came from, and how to reach that peer again.
struct Flow {
  Protocol protocol = Protocol::Udp;
  Address remote;
  Address local;                // the listener address it arrived on
  unsigned shard = 0;           // shard that owns the socket
  uint64_t connection_id = 0;   // stream connections; 0 for UDP
  // Text form stored with a registration binding and put in flow tokens:
  // "tcp/<shard>/<conn-id>/<remote>" ("udp/<shard>/0/<remote>").
  std::string token() const;
  static std::optional<Flow> fromToken(std::string_view token);
};

struct ListenerConfig {
  Protocol protocol = Protocol::Udp;
  std::string address = "127.0.0.1";
  uint16_t port = 5060;  // 0 = ephemeral; the bound port is reported by boundPorts()
  std::string certificate_file;  // TLS only (PEM)
  std::string private_key_file;  // TLS only (PEM)
};

struct Limits {
  size_t max_message_size = 65535;         // larger stream messages close the connection
  size_t max_connections = 10000;          // per process
  size_t max_connections_per_source = 100; // per remote IP
  uint32_t idle_timeout_ms = 600'000;      // stream connection with no traffic
  uint32_t message_timeout_ms = 30'000;    // a started message must complete (slowloris)
  uint32_t requests_per_second_per_source = 0;  // 0 = unlimited; excess is dropped and counted
};

// A complete message as bytes (heap, handed over) plus where it came from.
struct Inbound {
  std::unique_ptr<char[]> bytes;
  size_t size = 0;
  Flow flow;
};

using InboundHandler = std::function<void(Inbound&&)>;
using SendDone = std::function<void(bool ok)>;  // runs on the sending shard

// Process-wide facade over the per-shard transports.
class Transports {
 public:
  Transports(uv::ShardSet& shards, std::vector<ListenerConfig> listeners, Limits limits);
  ~Transports();

  // Binds every listener on every shard (SO_REUSEPORT). Call before ShardSet::startAll;
  // returns a clear error message when a bind fails.
  std::optional<std::string> bind();
  // Ports actually bound, per listener in config order (resolves port 0).
  std::vector<uint16_t> boundPorts() const;

  // Called on the receiving shard's thread for every complete message.
  void setHandler(InboundHandler handler);

  // Thread-safe. Sends `bytes` on `flow`; posts to the flow's shard if needed.
  // When the connection is gone: UDP just sends; TCP/TLS fails (done(false)) unless
  // `reconnect` is set, in which case a new connection to flow.remote is opened.
  void send(const Flow& flow, std::string bytes, SendDone done = {}, bool reconnect = false);

  // Thread-safe. Sends to host:port over `protocol`, reusing a connection to the same
  // remote if one exists on the calling shard, otherwise connecting (TLS verifies nothing
  // here; federation adds verification later).
  void sendTo(Protocol protocol, const Address& remote, std::string bytes, SendDone done = {});

  // Starts per-shard state; called on each shard thread (from ShardSet::startAll init).
  void startShard(uv::Shard& shard);
  // Closes listeners and connections of a shard; called on that shard (stopAll fini).
  void stopShard(uv::Shard& shard);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace proxy::transport
