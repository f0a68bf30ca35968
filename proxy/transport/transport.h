// SPDX-License-Identifier: Apache-2.0
// The transport layer: UDP, TCP and TLS listeners and connections on the shard
// loops. It frames stream input by Content-Length, answers CRLF keep-alives
// (RFC 5626 §4.4), enforces size/connection/rate limits, and hands each complete
// message up as raw bytes with the Flow it arrived on. It knows nothing of SIP
// semantics beyond framing.
//
// Threading: one ShardTransport per shard, created and used on that shard's
// thread (startShard/stopShard). A Flow names the shard that owns its socket;
// Transports::send() from any thread posts to the owner when needed. Responses
// and requests to a client registered over TCP/TLS go down the connection it
// used (the flow), never to the host in its Contact, which is often unreachable.
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
  // Room for AF_INET and AF_INET6, not sockaddr_storage's 128 bytes: every Flow
  // holds two Addresses, and bindings and transactions each keep a Flow.
  sockaddr_in6 storage{};
  // `ip` is a literal ("10.0.0.1", "::1" or "[::1]"); host names are not resolved here.
  static std::optional<Address> fromIpPort(std::string_view ip, uint16_t port);
  // Parses the toString() form: "10.0.0.1:5060" or "[::1]:5060".
  static std::optional<Address> parse(std::string_view ip_port);
  // Copies an AF_INET/AF_INET6 socket address; nullopt for other families.
  static std::optional<Address> fromSockaddr(const sockaddr* sa);
  std::string ip() const;  // "127.0.0.1", "::1"
  uint16_t port() const;
  std::string toString() const;                       // "127.0.0.1:5060", "[::1]:5060"
  int family() const { return storage.sin6_family; }  // AF_INET, AF_INET6 or AF_UNSPEC
  const sockaddr* raw() const { return reinterpret_cast<const sockaddr*>(&storage); }
  socklen_t length() const;
  // Compares family, IP, port (and IPv6 scope), never padding bytes.
  bool operator==(const Address& o) const;
  size_t hash() const;  // consistent with operator==
};

struct AddressHash {
  size_t operator()(const Address& a) const { return a.hash(); }
};

// Where a message came from, and how to reach that peer again.
struct Flow {
  Protocol protocol = Protocol::Udp;
  Address remote;
  Address local;               // the listener address it arrived on
  unsigned shard = 0;          // shard that owns the socket
  uint64_t connection_id = 0;  // stream connections; 0 for UDP
  // Text form stored with a registration binding and put in flow tokens:
  // "tcp/<shard>/<conn-id>/<remote>" ("udp/<shard>/0/<remote>").
  std::string token() const;
  static std::optional<Flow> fromToken(std::string_view token);
};

struct ListenerConfig {
  Protocol protocol = Protocol::Udp;
  std::string address = "127.0.0.1";
  uint16_t port = 5060;          // 0 = ephemeral; the bound port is reported by boundPorts()
  std::string certificate_file;  // TLS only (PEM)
  std::string private_key_file;  // TLS only (PEM)
};

struct Limits {
  size_t max_message_size = 65535;          // larger: UDP dropped, stream connection closed
  size_t max_connections = 10000;           // stream connections per process
  size_t max_connections_per_source = 100;  // per remote IP, process-wide; 0 = unlimited
  uint32_t idle_timeout_ms = 600'000;       // stream connection with no traffic; 0 = never
  // A started message (and a connect or TLS handshake) must complete within this
  // (slowloris); 0 = never.
  uint32_t message_timeout_ms = 30'000;
  // 0 = unlimited; excess requests are dropped and counted (responses are never limited)
  uint32_t requests_per_second_per_source = 0;
  size_t max_pending_write_bytes = 4 << 20;  // a stream peer reading slower than this is closed
};

// How TLS federation peers are checked (RFC 5922) and how we prove ourselves to them.
struct TlsPeerOptions {
  std::string ca_file;  // PEM trust anchors for peers; "" = the system's default verify paths
  // PEM; "" = present no client certificate. Presented to servers that ask (mutual TLS).
  std::string client_certificate, client_private_key;
  // Inbound: TLS listeners ask clients for a certificate (not required); a verified one
  // yields Inbound::tls_peer_names.
  bool request_client_certificates = false;
};

// A complete message as bytes (heap, handed over) plus where it came from.
struct Inbound {
  std::unique_ptr<char[]> bytes;
  size_t size = 0;
  Flow flow;
  // Domains the TLS peer proved with a verified certificate (RFC 5922 §7.1: subjectAltName
  // dNSNames and sip:domain URIs, lowercased; the subject CN only without a dNSName). On
  // an outbound connection opened with a tls_name: {tls_name}. Null when not TLS or
  // nothing was verified. Shared by every message of the connection.
  std::shared_ptr<const std::vector<std::string>> tls_peer_names;
};

using InboundHandler = std::function<void(Inbound&&)>;
// Told, on the connection's shard, that a stream connection closed (not at shutdown).
using ClosedHandler = std::function<void(const Flow&)>;
// Reports whether the bytes were handed to the kernel (not that the peer got them).
// It runs on the shard thread where the send executes: the flow's owner shard for
// TCP/TLS send(), the calling shard for UDP send() and for sendTo() (or the shard the
// call was posted to when made from a non-shard thread). When send()/sendTo() is
// called on that shard it may run before the call returns. After stopShard it runs
// with false while the shard's handles close.
using SendDone = std::function<void(bool ok)>;

// Process-wide facade over the per-shard transports.
class Transports {
 public:
  Transports(uv::ShardSet& shards, std::vector<ListenerConfig> listeners, Limits limits);
  // Destroy only after ShardSet::stopAll (with stopShard) has returned.
  ~Transports();

  // TLS federation: trust anchors, our client certificate and whether listeners ask
  // clients for certificates. Call before bind(), which loads them.
  void setTlsPeerOptions(TlsPeerOptions options);

  // Binds every listener on every shard (SO_REUSEPORT) and loads TLS certificates.
  // Call before ShardSet::startAll; returns a clear error message when a bind fails
  // ("cannot bind TCP 127.0.0.1:5060: Address already in use"). It also sets SIGPIPE
  // to ignored for the process (writes to reset peers must fail, not kill us).
  std::optional<std::string> bind();
  // Ports actually bound, per listener in config order (resolves port 0).
  std::vector<uint16_t> boundPorts() const;

  // Called on the receiving shard's thread for every complete message. Set it before
  // ShardSet::startAll; it is read by every shard without a lock.
  void setHandler(InboundHandler handler);
  void setClosedHandler(ClosedHandler handler);  // before start, like setHandler

  // Thread-safe. Sends `bytes` on `flow`; posts to the flow's shard if needed.
  // When the connection is gone: UDP just sends; TCP/TLS fails (done(false)) unless
  // `reconnect` is set, in which case a connection to flow.remote is reused or opened
  // on the flow's shard. UDP sent from a shard thread goes out of that shard's socket
  // for the same listener (same address and port, SO_REUSEPORT), without a hop.
  void send(const Flow& flow, std::string bytes, SendDone done = {}, bool reconnect = false);

  // Thread-safe. Sends to ip:port over `protocol`, reusing a connection (inbound or
  // outbound) to exactly that remote on the calling shard, otherwise connecting; bytes
  // queue until the connection is up. From a non-shard thread the call is posted to a
  // shard chosen by hashing the remote. Outbound TCP/TLS connections leave from the IP
  // of the first listener of the same protocol and family when it is a specific address
  // (peers that check source addresses see our listener), ephemeral port.
  //
  // TLS with an empty `tls_name` verifies nothing. With a `tls_name` (the peer's domain)
  // only an outbound connection opened for that same name is reused; a new one sends it
  // as SNI, verifies the chain against TlsPeerOptions::ca_file and the name per RFC 5922
  // §7.2 (subjectAltName dNSName, no wildcards) and presents our client certificate when
  // configured. On verification failure the connection closes, queued sends fail
  // (done(false)), "transport.tls.verify_failed" counts and a warning is logged.
  void sendTo(Protocol protocol, const Address& remote, std::string bytes, SendDone done = {},
              std::string tls_name = {});

  // Starts per-shard state; called on each shard thread (from ShardSet::startAll init).
  void startShard(uv::Shard& shard);
  // Closes listeners and connections of a shard; called on that shard (stopAll fini).
  // Pending sends fail (done(false)); every handle is closed so the loop can return.
  void stopShard(uv::Shard& shard);

  // Stream connections currently open in the process (accepted plus outbound).
  size_t connectionCount() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace proxy::transport
