// SPDX-License-Identifier: Apache-2.0
#include "proxy/transport/stream_listener.h"

#include "proxy/transport/socket_util.h"

namespace proxy::transport {
namespace {
constexpr int kBacklog = 1024;
}

StreamListener::StreamListener(uv_loop_t& loop, Protocol protocol, const Address& local,
                               const TlsContext* tls, AcceptSink& sink)
    : protocol_(protocol), local_(local), tls_(tls), sink_(sink), handle_(loop, uv_tcp_init) {
  handle_->data = this;
}

std::optional<std::string> StreamListener::open(int fd) {
  int r = uv_tcp_open(handle_.get(), fd);
  if (r != 0) {
    closeUnadoptedSocket(fd);
  } else {
    r = uv_listen(stream(), kBacklog, [](uv_stream_t* server, int status) noexcept {
      auto* self = static_cast<StreamListener*>(server->data);
      if (self != nullptr && status == 0) {
        self->sink_.onAcceptable(*self);
      }
    });
  }
  if (r != 0) {
    return "cannot listen on " + std::string(protocolName(protocol_)) + " " + local_.toString() +
           ": " + uv_strerror(r);
  }
  return std::nullopt;
}

}  // namespace proxy::transport
