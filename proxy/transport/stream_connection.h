// SPDX-License-Identifier: Apache-2.0
// StreamConnection is one TCP or TLS connection, accepted or outbound: the libuv
// stream, the StreamFramer, the optional TlsSession, the idle/slow-sender timer
// and the write path (uv_try_write first, then queued uv_write). It reports
// messages and its own closing to ShardServices. It lives on one shard and is
// owned by that shard's ConnectionTable, which destroys it after close() (never
// inside one of its own callbacks).
#pragma once

#include <uv.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/transport/shard_services.h"
#include "proxy/transport/stream_framer.h"
#include "proxy/transport/tls_session.h"
#include "proxy/transport/transport.h"
#include "proxy/uv/handle.h"
#include "proxy/uv/timer.h"

namespace proxy::transport {

class StreamConnection final : private FramerSink {
 public:
  enum class Origin { Accepted, Outbound };

  // `tcp` is initialised on the shard's loop (and accepted, for Accepted). `tls` is set
  // for TLS connections. `flow` carries the protocol, addresses and the connection id.
  StreamConnection(ShardServices& shard, uv::Handle<uv_tcp_t> tcp, const Flow& flow,
                   std::unique_ptr<TlsSession> tls, Origin origin);
  ~StreamConnection() override;
  StreamConnection(const StreamConnection&) = delete;
  StreamConnection& operator=(const StreamConnection&) = delete;

  // Accepted: starts reading (and waiting for the TLS handshake).
  void startAccepted();
  // Outbound: starts connecting to flow().remote; false if that failed at once.
  bool startConnect();

  // Sends bytes (TLS: encrypted). Before the connection is up they wait in order.
  // done(ok) runs on this shard, possibly before send() returns.
  void send(std::string bytes, SendDone done);

  // Idempotent. Cancels pending writes (done(false)) and tells the shard.
  void close(std::string_view reason);

  // Outbound TLS: the domain the server's certificate was checked against (set before
  // startConnect()); messages on this connection carry it as the peer's verified name.
  void setVerifiedName(std::string name) { verified_name_ = std::move(name); }
  const std::string& verifiedName() const { return verified_name_; }

  const Flow& flow() const { return flow_; }
  uint64_t id() const { return flow_.connection_id; }
  Origin origin() const { return origin_; }
  bool closed() const { return state_ == State::Closed; }

 private:
  enum class State { Connecting, Handshaking, Open, Closed };
  struct Pending {
    std::string bytes;
    SendDone done;
  };
  struct WriteReq;

  static void onAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) noexcept;
  static void onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;
  static void onConnect(uv_connect_t* req, int status) noexcept;
  static void onWriteDone(uv_write_t* req, int status) noexcept;

  void onConnected();
  bool startReading();
  void onCiphertext(const char* data, size_t size);
  void onPlaintext(const char* data, size_t size);
  void becomeOpen();
  // TLS, once the handshake is done: who the peer proved to be (or nobody).
  void learnPeerNames();
  void failTls();

  // FramerSink
  bool onMessage(std::unique_ptr<char[]> bytes, size_t size) override;
  bool onPing() override;

  void sendNow(std::string bytes, SendDone done);
  // Sends what was corked (below) in one write; keeps cork_'s capacity.
  void flushCork();
  void flushCorkNow();
  // Sends made outside a read (store completions, other shards' posts) flush from
  // whichever of a check (after this loop turn's I/O callbacks) or a prepare (before
  // the loop next blocks) runs first: never later than the loop would block.
  void armFlush();
  void disarmFlush();
  // Writes what the TLS session produced; `done` follows the last byte.
  void flushCiphertext(SendDone done);
  // Writes `data` now if the socket takes it, else queues the rest (moving `owned` when
  // it holds `data`). Returns the queued request, or nullptr when all was written or on
  // failure (then the connection is closed).
  WriteReq* writeOrQueue(std::string_view data, std::string* owned);

  // Closes the connection when its queued writes outgrow the limit (slow reader).
  void checkBacklog();

  void markBusy(bool message_completed);
  // Earliest of the idle deadline and, while busy, the message deadline (or "never").
  uint64_t nextDeadline() const;
  void armTimer();
  void onTimer();
  uv_stream_t* stream() const { return reinterpret_cast<uv_stream_t*>(tcp_.get()); }

  ShardServices& shard_;
  uv::Handle<uv_tcp_t> tcp_;
  Flow flow_;
  std::unique_ptr<TlsSession> tls_;
  std::string verified_name_;
  // Shared by every Inbound from this connection; null when the peer proved nothing.
  std::shared_ptr<const std::vector<std::string>> peer_names_;
  Origin origin_;
  State state_;
  StreamFramer framer_;
  uv::Timer timer_;
  uint64_t timer_due_ms_ = 0;
  uint64_t last_activity_ms_ = 0;
  bool busy_ = false;  // a message (or connect/handshake) is under way
  uint64_t busy_since_ms_ = 0;
  unsigned messages_this_read_ = 0;
  std::vector<Pending> pending_;  // sends made before the connection was up
  // While a read's messages are handled, their responses gather here and leave
  // in one write when the read is done: one syscall (and one TLS record) per
  // read instead of one per response on a busy connection.
  bool corked_ = false;
  bool flushing_cork_ = false;
  std::string cork_;
  std::vector<SendDone> cork_dones_;
  uv::Handle<uv_check_t> flush_check_;      // made on the first deferred send
  uv::Handle<uv_prepare_t> flush_prepare_;  // likewise
  size_t pending_bytes_ = 0;
};

}  // namespace proxy::transport
