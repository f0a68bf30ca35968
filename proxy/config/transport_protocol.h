// SPDX-License-Identifier: Apache-2.0
// The runtime protocol of a configured transport. Here, not in proxy/transport:
// the transport layer sits below the config and knows nothing of it. Header-only
// so that proxy_config itself does not link the transport layer (libuv, OpenSSL);
// include it only where proxy_transport is linked (the server, federation).
#pragma once

#include "proxy/config/config.h"
#include "proxy/transport/transport.h"

namespace proxy::config {

constexpr transport::Protocol toProtocol(Transport t) {
  switch (t) {
    case Transport::Udp:
      return transport::Protocol::Udp;
    case Transport::Tcp:
      return transport::Protocol::Tcp;
    case Transport::Tls:
      return transport::Protocol::Tls;
  }
  return transport::Protocol::Udp;  // unreachable: every value is listed
}

}  // namespace proxy::config
