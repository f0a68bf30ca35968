// SPDX-License-Identifier: Apache-2.0
// What a shard's listeners and connections need from the shard's transport:
// its loop, limits, shared scratch buffers, and a way to hand messages up and
// report closed connections. ShardTransport implements it; tests may fake it.
// Everything here is used on the shard's own thread only.
#pragma once

#include <uv.h>

#include <string_view>

#include "proxy/transport/transport.h"

namespace proxy::transport {

class StreamConnection;

class ShardServices {
 public:
  virtual ~ShardServices() = default;
  virtual uv_loop_t& loop() = 0;
  virtual unsigned shardId() const = 0;
  virtual const Limits& limits() const = 0;
  // A 64 KiB buffer reused by every read on this shard (consumed before the next read).
  virtual uv_buf_t readBuffer() = 0;
  // A second scratch buffer for outgoing TLS records (a send can happen mid-read).
  virtual uv_buf_t writeScratch() = 0;
  // Applies the per-source rate limit, then calls the inbound handler.
  virtual void deliver(Inbound&& inbound) = 0;
  // The connection closed itself (or was closed); the owner unindexes it and
  // destroys it later, never inside this call.
  virtual void onConnectionClosed(StreamConnection& connection, std::string_view reason) = 0;
};

}  // namespace proxy::transport
