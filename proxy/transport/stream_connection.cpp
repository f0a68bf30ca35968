// SPDX-License-Identifier: Apache-2.0
#include "proxy/transport/stream_connection.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "proxy/base/log.h"
#include "proxy/transport/transport_counters.h"

namespace proxy::transport {
namespace {
constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();
// Corked responses past this size leave at once rather than waiting for the read's end.
constexpr size_t kMaxCorkBytes = 64 * 1024;

// One completion that runs every one of `dones` (none: an empty SendDone).
SendDone allOf(std::vector<SendDone> dones) {
  if (dones.empty()) {
    return {};
  }
  if (dones.size() == 1) {
    return std::move(dones.front());
  }
  return [dones = std::move(dones)](bool ok) {
    for (const SendDone& d : dones) {
      d(ok);
    }
  };
}
}  // namespace

struct StreamConnection::WriteReq {
  uv_write_t req{};
  std::string bytes;
  size_t offset = 0;
  SendDone done;
};

StreamConnection::StreamConnection(ShardServices& shard, uv::Handle<uv_tcp_t> tcp, const Flow& flow,
                                   std::unique_ptr<TlsSession> tls, Origin origin)
    : shard_(shard),
      tcp_(std::move(tcp)),
      flow_(flow),
      tls_(std::move(tls)),
      origin_(origin),
      state_(origin == Origin::Outbound ? State::Connecting
                                        : (tls_ ? State::Handshaking : State::Open)),
      framer_(shard.limits().max_message_size),
      timer_(shard.loop(), [this] { onTimer(); }) {
  tcp_->data = this;
  last_activity_ms_ = uv_now(&shard_.loop());
  busy_ = state_ != State::Open;  // connecting and handshaking run on the message clock
  busy_since_ms_ = last_activity_ms_;
}

StreamConnection::~StreamConnection() {
  for (auto& p : pending_) {
    if (p.done) {
      p.done(false);
    }
  }
  for (SendDone& done : cork_dones_) {
    done(false);
  }
}

void StreamConnection::startAccepted() {
  uv_tcp_nodelay(tcp_.get(), 1);
  if (startReading()) {
    armTimer();
  }
}

bool StreamConnection::startConnect() {
  auto* req = new uv_connect_t{};
  int r = uv_tcp_connect(req, tcp_.get(), flow_.remote.raw(), onConnect);
  if (r != 0) {
    delete req;
    LOG_DEBUG("connect to %s failed: %s", flow_.remote.toString().c_str(), uv_strerror(r));
    return false;
  }
  armTimer();
  return true;
}

bool StreamConnection::startReading() {
  int r = uv_read_start(stream(), onAlloc, onRead);
  if (r != 0) {
    close("read_error");
    return false;
  }
  return true;
}

void StreamConnection::onConnect(uv_connect_t* req, int status) noexcept {
  auto* self = static_cast<StreamConnection*>(req->handle->data);
  delete req;
  if (self == nullptr) {
    return;  // closed while connecting (UV_ECANCELED)
  }
  if (status != 0) {
    LOG_DEBUG("connect to %s failed: %s", self->flow_.remote.toString().c_str(),
              uv_strerror(status));
    countDrop(Drop::ConnectFailed);
    self->close("connect_failed");
    return;
  }
  self->onConnected();
}

void StreamConnection::onConnected() {
  last_activity_ms_ = uv_now(&shard_.loop());
  sockaddr_storage local{};
  int len = sizeof(local);
  if (uv_tcp_getsockname(tcp_.get(), reinterpret_cast<sockaddr*>(&local), &len) == 0) {
    if (auto a = Address::fromSockaddr(reinterpret_cast<const sockaddr*>(&local))) {
      flow_.local = *a;
    }
  }
  uv_tcp_nodelay(tcp_.get(), 1);
  if (!startReading()) {
    return;
  }
  if (!tls_) {
    becomeOpen();
    return;
  }
  state_ = State::Handshaking;
  busy_since_ms_ = last_activity_ms_;
  if (tls_->start() == TlsSession::Status::Failed) {
    failTls();
    return;
  }
  flushCiphertext({});
}

void StreamConnection::onAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) noexcept {
  auto* self = static_cast<StreamConnection*>(handle->data);
  *buf = self != nullptr ? self->shard_.readBuffer() : uv_buf_init(nullptr, 0);
}

void StreamConnection::onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept {
  auto* self = static_cast<StreamConnection*>(stream->data);
  if (self == nullptr || nread == 0) {
    return;
  }
  if (nread < 0) {
    self->close(nread == UV_EOF ? "eof" : "read_error");
    return;
  }
  self->last_activity_ms_ = uv_now(&self->shard_.loop());
  if (self->tls_) {
    self->onCiphertext(buf->base, static_cast<size_t>(nread));
  } else {
    self->onPlaintext(buf->base, static_cast<size_t>(nread));
  }
}

void StreamConnection::onCiphertext(const char* data, size_t size) {
  tls_->pushCiphertext(data, size);
  // The ciphertext now sits in the BIO, so the shared read buffer can take the plaintext.
  uv_buf_t plain = shard_.readBuffer();
  for (;;) {
    TlsSession::ReadResult r = tls_->readPlaintext(plain.base, plain.len);
    if (state_ == State::Handshaking && tls_->handshakeDone()) {
      becomeOpen();
    }
    if (closed()) {
      return;
    }
    if (r.bytes > 0) {
      onPlaintext(plain.base, r.bytes);
      if (closed()) {
        return;
      }
      continue;
    }
    if (r.status == TlsSession::Status::Closed) {
      flushCiphertext({});
      close("tls_closed");
      return;
    }
    if (r.status == TlsSession::Status::Failed) {
      failTls();
      return;
    }
    break;  // needs more ciphertext
  }
  flushCiphertext({});  // handshake messages, session tickets
}

void StreamConnection::onPlaintext(const char* data, size_t size) {
  messages_this_read_ = 0;
  corked_ = true;
  FramingError e = framer_.feed(std::string_view(data, size), *this);
  corked_ = false;
  flushCork();  // before any close below: earlier messages' responses still go out
  if (closed()) {
    return;
  }
  if (e != FramingError::None) {
    Drop drop = dropFor(e);
    std::string_view reason = dropName(drop);
    LOG_DEBUG("%s from %s: closing (%.*s)", std::string(protocolName(flow_.protocol)).c_str(),
              flow_.remote.toString().c_str(), static_cast<int>(reason.size()), reason.data());
    countDrop(drop);
    close(reason);
    return;
  }
  markBusy(messages_this_read_ > 0);
}

bool StreamConnection::onMessage(std::unique_ptr<char[]> bytes, size_t size) {
  ++messages_this_read_;
  Inbound in;
  in.bytes = std::move(bytes);
  in.size = size;
  in.flow = flow_;
  in.tls_peer_names = peer_names_;
  shard_.deliver(std::move(in));
  return !closed();
}

bool StreamConnection::onPing() {
  transportCounters().pings_answered.add();
  send(std::string("\r\n"), {});  // RFC 5626 §4.4.1 pong
  return !closed();
}

void StreamConnection::learnPeerNames() {
  if (origin_ == Origin::Outbound) {
    // The handshake only completes when the certificate matched this name.
    if (!verified_name_.empty()) {
      peer_names_ = std::make_shared<const std::vector<std::string>>(
          std::vector<std::string>{verified_name_});
    }
    return;
  }
  std::vector<std::string> names = tls_->verifiedPeerNames();
  if (!names.empty()) {
    peer_names_ = std::make_shared<const std::vector<std::string>>(std::move(names));
    return;
  }
  if (tls_->peerPresentedCertificate()) {
    if (std::string why = tls_->verifyFailure(); !why.empty()) {
      transportCounters().tls_client_cert_unverified.add();
      LOG_INFO("TLS client %s presented a certificate that does not verify (%s): no identity",
               flow_.remote.toString().c_str(), why.c_str());
    }
  }
}

void StreamConnection::becomeOpen() {
  if (tls_) {
    learnPeerNames();
  }
  state_ = State::Open;
  busy_ = false;
  std::vector<Pending> pending = std::move(pending_);
  pending_.clear();
  pending_bytes_ = 0;
  for (auto& p : pending) {
    if (closed()) {
      if (p.done) {
        p.done(false);
      }
      continue;
    }
    sendNow(std::move(p.bytes), std::move(p.done));
  }
}

void StreamConnection::failTls() {
  Drop drop = tls_->handshakeDone() ? Drop::TlsError : Drop::TlsHandshake;
  std::string why = verified_name_.empty() ? std::string() : tls_->verifyFailure();
  if (!why.empty()) {
    transportCounters().tls_verify_failed.add();
    LOG_WARN("TLS peer %s failed verification as %s: %s", flow_.remote.toString().c_str(),
             verified_name_.c_str(), why.c_str());
  } else {
    LOG_DEBUG("TLS %s: %s", flow_.remote.toString().c_str(), tls_->error().c_str());
  }
  countDrop(drop);
  flushCiphertext({});  // the alert, if the socket takes it now
  close(dropName(drop));
}

void StreamConnection::send(std::string bytes, SendDone done) {
  if (closed()) {
    if (done) {
      done(false);
    }
    return;
  }
  if (state_ != State::Open) {
    if (pending_bytes_ + bytes.size() > shard_.limits().max_pending_write_bytes) {
      countDrop(Drop::QueueFull);
      if (done) {
        done(false);
      }
      return;
    }
    pending_bytes_ += bytes.size();
    pending_.push_back(Pending{std::move(bytes), std::move(done)});
    return;
  }
  cork_ += bytes;
  if (done) {
    cork_dones_.push_back(std::move(done));
  }
  if (cork_.size() >= kMaxCorkBytes) {
    flushCork();
  } else if (!corked_) {
    armFlush();  // inside a read, the read's end flushes
  }
}

void StreamConnection::armFlush() {
  if (!flush_check_) {
    flush_check_ = uv::Handle<uv_check_t>(shard_.loop(), uv_check_init);
    flush_prepare_ = uv::Handle<uv_prepare_t>(shard_.loop(), uv_prepare_init);
    flush_check_->data = this;
    flush_prepare_->data = this;
  }
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(flush_check_.get())) != 0) {
    return;
  }
  uv_check_start(flush_check_.get(), [](uv_check_t* h) noexcept {
    if (auto* self = static_cast<StreamConnection*>(h->data)) {
      self->flushCork();
    }
  });
  uv_prepare_start(flush_prepare_.get(), [](uv_prepare_t* h) noexcept {
    if (auto* self = static_cast<StreamConnection*>(h->data)) {
      self->flushCork();
    }
  });
}

void StreamConnection::disarmFlush() {
  if (flush_check_) {
    uv_check_stop(flush_check_.get());
    uv_prepare_stop(flush_prepare_.get());
  }
}

void StreamConnection::flushCork() {
  if (cork_.empty() || flushing_cork_) {
    return;  // nothing corked, or a close() from inside this flush
  }
  flushing_cork_ = true;
  disarmFlush();
  flushCorkNow();
  flushing_cork_ = false;
}

void StreamConnection::flushCorkNow() {
  SendDone done = allOf(std::move(cork_dones_));
  cork_dones_.clear();
  if (closed()) {
    cork_.clear();
    if (done) {
      done(false);
    }
    return;
  }
  last_activity_ms_ = uv_now(&shard_.loop());
  if (tls_) {
    const bool ok = tls_->writePlaintext(cork_) == TlsSession::Status::Ok;
    cork_.clear();
    if (!ok) {
      failTls();
      if (done) {
        done(false);
      }
      return;
    }
    flushCiphertext(std::move(done));
    return;
  }
  WriteReq* queued = writeOrQueue(cork_, nullptr);  // copies only what the socket did not take
  cork_.clear();
  if (queued != nullptr) {
    queued->done = std::move(done);
    checkBacklog();
  } else if (done) {
    done(!closed());
  }
}

void StreamConnection::sendNow(std::string bytes, SendDone done) {
  last_activity_ms_ = uv_now(&shard_.loop());
  if (tls_) {
    if (tls_->writePlaintext(bytes) != TlsSession::Status::Ok) {
      failTls();
      if (done) {
        done(false);
      }
      return;
    }
    flushCiphertext(std::move(done));
    return;
  }
  std::string_view view(bytes);
  WriteReq* queued = writeOrQueue(view, &bytes);
  if (queued != nullptr) {
    queued->done = std::move(done);
    checkBacklog();
  } else if (done) {
    done(!closed());
  }
}

void StreamConnection::flushCiphertext(SendDone done) {
  uv_buf_t scratch = shard_.writeScratch();
  WriteReq* last = nullptr;
  while (!closed() && tls_->pendingCiphertext() > 0) {
    size_t n = tls_->takeCiphertext(scratch.base, scratch.len);
    if (n == 0) {
      break;
    }
    // Copied into the request when queued, so the scratch buffer is free again here.
    if (WriteReq* queued = writeOrQueue(std::string_view(scratch.base, n), nullptr)) {
      last = queued;
    }
  }
  if (last != nullptr && !closed()) {
    last->done = std::move(done);
    checkBacklog();
  } else if (done) {
    done(!closed());
  }
}

StreamConnection::WriteReq* StreamConnection::writeOrQueue(std::string_view data,
                                                           std::string* owned) {
  size_t offset = 0;
  if (uv_stream_get_write_queue_size(stream()) == 0) {  // else keep the order: queue behind
    uv_buf_t buf = uv_buf_init(const_cast<char*>(data.data()), static_cast<unsigned>(data.size()));
    int r = uv_try_write(stream(), &buf, 1);
    if (r >= 0) {
      offset = static_cast<size_t>(r);
    } else if (r != UV_EAGAIN) {
      close("write_error");
      return nullptr;
    }
    if (offset == data.size()) {
      return nullptr;
    }
  }
  auto* w = new WriteReq;
  w->req.data = w;
  if (owned != nullptr) {
    w->bytes = std::move(*owned);
    w->offset = offset;
  } else {
    w->bytes.assign(data.substr(offset));
  }
  uv_buf_t buf =
      uv_buf_init(w->bytes.data() + w->offset, static_cast<unsigned>(w->bytes.size() - w->offset));
  int r = uv_write(&w->req, stream(), &buf, 1, onWriteDone);
  if (r != 0) {
    delete w;
    close("write_error");
    return nullptr;
  }
  return w;
}

void StreamConnection::onWriteDone(uv_write_t* req, int status) noexcept {
  std::unique_ptr<WriteReq> w(static_cast<WriteReq*>(req->data));
  auto* self = static_cast<StreamConnection*>(req->handle->data);
  if (status != 0 && self != nullptr) {
    self->close("write_error");
  }
  if (w->done) {
    w->done(status == 0);
  }
}

void StreamConnection::checkBacklog() {
  if (!closed() &&
      uv_stream_get_write_queue_size(stream()) > shard_.limits().max_pending_write_bytes) {
    countDrop(Drop::SlowReader);  // the peer reads slower than we write: don't buffer forever
    close("slow_reader");
  }
}

void StreamConnection::close(std::string_view reason) {
  if (closed()) {
    return;
  }
  if (!cork_.empty() && state_ == State::Open) {
    flushCork();  // what was sent before the close goes first, as it did uncorked
    if (closed()) {
      return;  // the flush failed and closed the connection
    }
  }
  state_ = State::Closed;
  timer_.stop();
  flush_check_.reset();
  flush_prepare_.reset();
  tcp_.reset();  // queued writes complete with UV_ECANCELED: their done(false) runs then
  shard_.onConnectionClosed(*this, reason);
  std::vector<Pending> pending = std::move(pending_);
  pending_.clear();
  pending_bytes_ = 0;
  std::vector<SendDone> corked = std::move(cork_dones_);
  cork_dones_.clear();
  cork_.clear();
  for (auto& p : pending) {
    if (p.done) {
      p.done(false);
    }
  }
  for (SendDone& done : corked) {
    done(false);
  }
}

void StreamConnection::markBusy(bool message_completed) {
  bool busy = state_ != State::Open || framer_.midMessage();
  if (!busy) {
    busy_ = false;
    return;
  }
  // The slow-sender clock starts with the first byte of each message.
  if (!busy_ || message_completed) {
    busy_ = true;
    busy_since_ms_ = uv_now(&shard_.loop());
    armTimer();
  }
}

uint64_t StreamConnection::nextDeadline() const {
  const Limits& limits = shard_.limits();
  uint64_t due = kNever;
  if (limits.idle_timeout_ms != 0) {
    due = last_activity_ms_ + limits.idle_timeout_ms;
  }
  if (busy_ && limits.message_timeout_ms != 0) {
    due = std::min(due, busy_since_ms_ + limits.message_timeout_ms);
  }
  return due;
}

void StreamConnection::armTimer() {
  // Lazy: the timer is restarted only when the deadline moves earlier, not on every read.
  uint64_t due = nextDeadline();
  if (closed() || due == kNever || (timer_.active() && timer_due_ms_ <= due)) {
    return;
  }
  timer_due_ms_ = due;
  uint64_t now = uv_now(&shard_.loop());
  timer_.start(due > now ? due - now : 0);
}

void StreamConnection::onTimer() {
  if (closed()) {
    return;
  }
  const Limits& limits = shard_.limits();
  uint64_t now = uv_now(&shard_.loop());
  if (busy_ && limits.message_timeout_ms != 0 &&
      now >= busy_since_ms_ + limits.message_timeout_ms) {
    Drop drop = state_ == State::Connecting    ? Drop::ConnectTimeout
                : state_ == State::Handshaking ? Drop::HandshakeTimeout
                                               : Drop::MessageTimeout;
    countDrop(drop);
    close(dropName(drop));
    return;
  }
  if (limits.idle_timeout_ms != 0 && now >= last_activity_ms_ + limits.idle_timeout_ms) {
    transportCounters().idle_closed.add();
    close("idle_timeout");
    return;
  }
  armTimer();
}

}  // namespace proxy::transport
