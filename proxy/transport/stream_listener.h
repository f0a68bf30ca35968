// SPDX-License-Identifier: Apache-2.0
// One shard's listening socket for one TCP or TLS listener. Each shard listens
// on its own SO_REUSEPORT socket, so the kernel spreads new connections over the
// shards and an accepted connection stays on the shard that accepted it. The
// owner (ShardTransport) does the accepting and the limit checks. Shard thread only.
#pragma once

#include <uv.h>

#include <optional>
#include <string>

#include "proxy/transport/tls_context.h"
#include "proxy/transport/transport.h"
#include "proxy/uv/handle.h"

namespace proxy::transport {

class StreamListener;

class AcceptSink {
 public:
  virtual ~AcceptSink() = default;
  // A connection is waiting: call uv_accept on listener.stream() exactly once.
  virtual void onAcceptable(StreamListener& listener) = 0;
};

class StreamListener {
 public:
  // `tls` is the listener's server context (nullptr for TCP); it outlives the listener.
  StreamListener(uv_loop_t& loop, Protocol protocol, const Address& local, const TlsContext* tls,
                 AcceptSink& sink);
  StreamListener(const StreamListener&) = delete;
  StreamListener& operator=(const StreamListener&) = delete;

  // Adopts a bound, listening descriptor (from openBoundSocket) and starts accepting.
  std::optional<std::string> open(int fd);
  void close() { handle_.reset(); }

  uv_stream_t* stream() const { return reinterpret_cast<uv_stream_t*>(handle_.get()); }
  Protocol protocol() const { return protocol_; }
  const Address& local() const { return local_; }
  const TlsContext* tls() const { return tls_; }

 private:
  Protocol protocol_;
  Address local_;
  const TlsContext* tls_;
  AcceptSink& sink_;
  uv::Handle<uv_tcp_t> handle_;
};

}  // namespace proxy::transport
