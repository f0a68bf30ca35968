// SPDX-License-Identifier: Apache-2.0
#include "proxy/transport/udp_socket.h"

#include <cstring>

#include "proxy/base/log.h"
#include "proxy/transport/socket_util.h"
#include "proxy/transport/transport_counters.h"

namespace proxy::transport {
namespace {

// libuv reads one datagram per 64 KiB slice of the buffer in a single recvmmsg call.
constexpr size_t kDatagramSlice = size_t{64} * 1024;
constexpr size_t kSlicesPerRead = 8;

int initUdp(uv_loop_t* loop, uv_udp_t* udp) {
  return uv_udp_init_ex(loop, udp, AF_UNSPEC | UV_UDP_RECVMMSG);
}

bool onlyWhitespace(const char* data, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    char c = data[i];
    if (c != '\r' && c != '\n' && c != ' ' && c != '\t') {
      return false;
    }
  }
  return true;
}

struct UdpSendReq {
  uv_udp_send_t req;
  std::string bytes;
  SendDone done;
};

}  // namespace

UdpSocket::UdpSocket(ShardServices& shard, const Address& local)
    : shard_(shard), local_(local), handle_(shard.loop(), initUdp) {
  handle_->data = this;
}

std::optional<std::string> UdpSocket::open(int fd) {
  int r = uv_udp_open(handle_.get(), fd);
  if (r != 0) {
    closeUnadoptedSocket(fd);
  } else {
    buffer_.reset(new char[kDatagramSlice * kSlicesPerRead]);
    r = uv_udp_recv_start(handle_.get(), onAlloc, onRecv);
  }
  if (r != 0) {
    return "cannot receive on UDP " + local_.toString() + ": " + uv_strerror(r);
  }
  return std::nullopt;
}

void UdpSocket::onAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) noexcept {
  auto* self = static_cast<UdpSocket*>(handle->data);
  if (self == nullptr) {
    *buf = uv_buf_init(nullptr, 0);  // libuv reports UV_ENOBUFS; we are closing anyway
    return;
  }
  *buf = uv_buf_init(self->buffer_.get(), kDatagramSlice * kSlicesPerRead);
}

void UdpSocket::onRecv(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf, const sockaddr* from,
                       unsigned flags) noexcept {
  auto* self = static_cast<UdpSocket*>(handle->data);
  if (self == nullptr || from == nullptr) {
    return;  // nothing read, or the end of a recvmmsg batch (UV_UDP_MMSG_FREE)
  }
  if (nread < 0) {
    LOG_DEBUG("UDP %s: receive error %s", self->local_.toString().c_str(),
              uv_strerror(static_cast<int>(nread)));
    return;
  }
  self->onDatagram(buf->base, static_cast<size_t>(nread), from, flags);
}

void UdpSocket::onDatagram(const char* data, size_t size, const sockaddr* from, unsigned flags) {
  if ((flags & UV_UDP_PARTIAL) != 0 || size > shard_.limits().max_message_size) {
    countDrop(Drop::Oversize);
    return;
  }
  if (onlyWhitespace(data, size)) {  // CRLF keep-alives (RFC 5626 §4.4.2 uses STUN on UDP)
    transportCounters().udp_keepalives.add();
    return;
  }
  auto remote = Address::fromSockaddr(from);
  if (!remote) {
    return;
  }
  Inbound in;
  in.bytes.reset(new char[size]);
  std::memcpy(in.bytes.get(), data, size);
  in.size = size;
  in.flow.protocol = Protocol::Udp;
  in.flow.remote = *remote;
  in.flow.local = local_;
  in.flow.shard = shard_.shardId();
  in.flow.connection_id = 0;
  shard_.deliver(std::move(in));
}

void UdpSocket::send(const Address& remote, std::string bytes, SendDone done) {
  if (!handle_) {
    if (done) {
      done(false);
    }
    return;
  }
  uv_buf_t buf = uv_buf_init(bytes.data(), static_cast<unsigned>(bytes.size()));
  int r = uv_udp_try_send(handle_.get(), &buf, 1, remote.raw());
  if (r == UV_EAGAIN &&
      uv_udp_get_send_queue_size(handle_.get()) > shard_.limits().max_pending_write_bytes) {
    r = UV_ENOBUFS;  // the kernel has not drained the queue for a while: shed load
  }
  if (r == UV_EAGAIN) {  // socket buffer full or earlier sends queued: keep the order
    auto* req = new UdpSendReq{{}, std::move(bytes), std::move(done)};
    req->req.data = req;
    buf = uv_buf_init(req->bytes.data(), static_cast<unsigned>(req->bytes.size()));
    r = uv_udp_send(&req->req, handle_.get(), &buf, 1, remote.raw(),
                    [](uv_udp_send_t* sent, int status) noexcept {
                      std::unique_ptr<UdpSendReq> owned(static_cast<UdpSendReq*>(sent->data));
                      if (status != 0) {
                        countDrop(Drop::UdpSendError);
                      }
                      if (owned->done) {
                        owned->done(status == 0);
                      }
                    });
    if (r == 0) {
      return;
    }
    done = std::move(req->done);
    delete req;
  }
  if (r < 0) {
    countDrop(Drop::UdpSendError);
    LOG_DEBUG("UDP send to %s failed: %s", remote.toString().c_str(), uv_strerror(r));
  }
  if (done) {
    done(r >= 0);
  }
}

}  // namespace proxy::transport
