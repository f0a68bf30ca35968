// SPDX-License-Identifier: Apache-2.0
// The one thing the transaction layer needs from the transport: put bytes on a
// flow and say whether that worked. The routing layer adapts transport::Transports
// to it; unit tests use a fake that records what was sent. Used only on the
// thread of the shard that owns the TransactionLayer.
#pragma once

#include <functional>
#include <string>

#include "proxy/transport/transport.h"

namespace proxy::transaction {

class MessageSender {
 public:
  using Done = std::function<void(bool ok)>;
  virtual ~MessageSender() = default;

  // Sends `bytes` on `to`. `done` (never empty) reports whether the bytes left
  // us; it may run before send() returns or later, but always on the calling
  // shard's thread: when the transport completes on the flow's owner shard, the
  // adapter posts `done` back. A failure is treated as a 503 (RFC 3261 §8.1.3.1, §18.4).
  virtual void send(const transport::Flow& to, std::string bytes, Done done) = 0;
};

// RFC 3261 §17: timers that retransmit run only over unreliable transports.
inline bool isReliable(const transport::Flow& flow) {
  return flow.protocol != transport::Protocol::Udp;
}

}  // namespace proxy::transaction
