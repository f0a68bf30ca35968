// SPDX-License-Identifier: Apache-2.0
// One shard's socket for one UDP listener. Every shard has its own socket on the
// same address (SO_REUSEPORT), so a datagram is read by exactly one shard and a
// reply can leave from any shard with the same source address. Receives with
// recvmmsg into a reused buffer and hands each datagram up exactly sized.
// Created, used and destroyed on its shard's thread.
#pragma once

#include <uv.h>

#include <memory>
#include <optional>
#include <string>

#include "proxy/transport/shard_services.h"
#include "proxy/transport/transport.h"
#include "proxy/uv/handle.h"

namespace proxy::transport {

class UdpSocket {
 public:
  UdpSocket(ShardServices& shard, const Address& local);
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // Adopts a bound descriptor (from openBoundSocket) and starts receiving.
  std::optional<std::string> open(int fd);
  // Sends one datagram; done(ok) may run before this returns.
  void send(const Address& remote, std::string bytes, SendDone done);
  // Stops receiving and closes the socket; later sends fail.
  void close() { handle_.reset(); }

  const Address& local() const { return local_; }

 private:
  static void onAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) noexcept;
  static void onRecv(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf, const sockaddr* from,
                     unsigned flags) noexcept;
  void onDatagram(const char* data, size_t size, const sockaddr* from, unsigned flags);

  ShardServices& shard_;
  Address local_;
  uv::Handle<uv_udp_t> handle_;
  std::unique_ptr<char[]> buffer_;  // room for several datagrams per recvmmsg
};

}  // namespace proxy::transport
