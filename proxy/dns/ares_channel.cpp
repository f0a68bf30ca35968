// SPDX-License-Identifier: Apache-2.0
#include "proxy/dns/ares_channel.h"

#include <arpa/nameser.h>

#include <mutex>

#include "proxy/base/counters.h"
#include "proxy/base/log.h"

namespace proxy::dns {
namespace {

// ares_library_init is process-wide and not thread-safe; shards create channels concurrently.
int initLibraryOnce() {
  static std::once_flag once;
  static int status = ARES_SUCCESS;
  std::call_once(once, [] { status = ares_library_init(ARES_LIB_INIT_ALL); });
  return status;
}

std::string joinServers(const std::vector<std::string>& servers) {
  std::string csv;
  for (const auto& s : servers) {
    csv += csv.empty() ? s : "," + s;
  }
  return csv;
}

}  // namespace

AresChannel::AresChannel(uv_loop_t* loop) : loop_(loop), timer_(*loop, uv_timer_init) {
  timer_->data = this;
}

void AresChannel::onTimer(uv_timer_t* timer) {
  if (auto* self = static_cast<AresChannel*>(timer->data)) {
    self->process(ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // expires timed-out tries
    self->runReady();
  }
}

Result<std::unique_ptr<AresChannel>> AresChannel::create(uv_loop_t* loop,
                                                         const std::vector<std::string>& servers,
                                                         uint32_t timeout_ms) {
  if (int rc = initLibraryOnce(); rc != ARES_SUCCESS) {
    return makeError(500, std::string("c-ares init: ") + ares_strerror(rc));
  }
  std::unique_ptr<AresChannel> self(new AresChannel(loop));
  ares_options options{};
  options.sock_state_cb = &AresChannel::onSocketState;
  options.sock_state_cb_data = self.get();
  char lookups[] = "b";  // DNS only: never /etc/hosts
  options.lookups = lookups;
  options.timeout = static_cast<int>(timeout_ms == 0 ? 1 : timeout_ms);
  options.tries = 1;
  options.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
             ARES_OPT_FLAGS;
  if (int rc = ares_init_options(&self->channel_, &options, mask); rc != ARES_SUCCESS) {
    return makeError(500, std::string("c-ares channel: ") + ares_strerror(rc));
  }
  if (!servers.empty()) {
    std::string csv = joinServers(servers);
    if (int rc = ares_set_servers_ports_csv(self->channel_, csv.c_str()); rc != ARES_SUCCESS) {
      return makeError(500, "bad DNS servers '" + csv + "': " + ares_strerror(rc));
    }
  }
  return self;
}

AresChannel::~AresChannel() {
  *alive_ = false;
  destroying_ = true;
  if (channel_ != nullptr) {
    ares_destroy(channel_);  // runs onAnswer(ARES_EDESTRUCTION) for every pending query
  }
  ready_.clear();
  polls_.clear();  // closes the uv_poll_t handles; the timer closes with timer_
}

void AresChannel::query(const std::string& name, int type, QueryDone done) {
  static const counters::Counter queries = counters::get("dns.queries");
  queries.add();
  ++in_flight_;
  ares_query(channel_, name.c_str(), ns_c_in, type, &AresChannel::onAnswer,
             new InFlight{this, std::move(done)});
  armTimer();  // also schedules a completion c-ares made synchronously (bad name, no servers)
}

void AresChannel::onAnswer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  std::unique_ptr<InFlight> in_flight(static_cast<InFlight*>(arg));
  AresChannel* self = in_flight->channel;
  --self->in_flight_;
  if (self->destroying_) {
    return;
  }
  Ready ready{std::move(in_flight->done), status, {}};
  if (status == ARES_SUCCESS && abuf != nullptr && alen > 0) {
    ready.answer.assign(abuf, abuf + alen);
  }
  self->ready_.push_back(std::move(ready));
}

void AresChannel::onSocketState(void* data, ares_socket_t fd, int readable, int writable) {
  auto* self = static_cast<AresChannel*>(data);
  if (readable == 0 && writable == 0) {
    self->polls_.erase(fd);  // c-ares closes the socket right after this returns
    return;
  }
  auto it = self->polls_.find(fd);
  if (it == self->polls_.end()) {
    uv::Handle<uv_poll_t> poll(*self->loop_, [fd](uv_loop_t* loop, uv_poll_t* handle) {
      return uv_poll_init_socket(loop, handle, fd);
    });
    poll->data = self;
    it = self->polls_.emplace(fd, std::move(poll)).first;
  }
  int events = (readable != 0 ? UV_READABLE : 0) | (writable != 0 ? UV_WRITABLE : 0);
  uv_poll_start(it->second.get(), events, &AresChannel::onPoll);
}

void AresChannel::onPoll(uv_poll_t* poll, int status, int events) {
  auto* self = static_cast<AresChannel*>(poll->data);
  if (self == nullptr) {
    return;
  }
  uv_os_fd_t fd = -1;
  uv_fileno(reinterpret_cast<uv_handle_t*>(poll), &fd);
  // On a socket error let c-ares read and write so it notices and fails over.
  bool readable = status < 0 || (events & UV_READABLE) != 0;
  bool writable = status < 0 || (events & UV_WRITABLE) != 0;
  self->process(readable ? fd : ARES_SOCKET_BAD, writable ? fd : ARES_SOCKET_BAD);
  self->runReady();
}

void AresChannel::process(ares_socket_t readable, ares_socket_t writable) {
  ares_process_fd(channel_, readable, writable);
}

void AresChannel::runReady() {
  std::shared_ptr<bool> alive = alive_;
  while (*alive && !ready_.empty()) {
    Ready ready = std::move(ready_.front());
    ready_.pop_front();
    ready.done(ready.status, ready.answer);  // may query again, or destroy this channel
  }
  if (*alive) {
    armTimer();
  }
}

void AresChannel::armTimer() {
  if (!ready_.empty()) {
    uv_timer_start(timer_.get(), &AresChannel::onTimer, 0, 0);
    return;
  }
  timeval tv{};
  if (ares_timeout(channel_, nullptr, &tv) == nullptr) {
    uv_timer_stop(timer_.get());  // nothing pending
    return;
  }
  // Round up so the timer never fires just before the try expires (a busy loop).
  uint64_t ms =
      static_cast<uint64_t>(tv.tv_sec) * 1000 + (static_cast<uint64_t>(tv.tv_usec) + 999) / 1000;
  uv_timer_start(timer_.get(), &AresChannel::onTimer, ms, 0);
}

}  // namespace proxy::dns
