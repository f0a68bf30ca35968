// SPDX-License-Identifier: Apache-2.0
// One c-ares channel driven by a libuv loop. c-ares tells us which sockets it
// wants watched (ARES_OPT_SOCK_STATE_CB); each gets a uv_poll_t, and one
// uv_timer_t fires at ares_timeout() so retries and timeouts happen without
// ever blocking the shard. Query completions are not run inside c-ares: they are
// queued and run from the loop callback once c-ares has returned, so a completion
// may start new queries or even destroy the channel. Not thread-safe: use it on
// the loop's thread only.
#pragma once

#include <ares.h>
#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "proxy/base/result.h"
#include "proxy/uv/handle.h"

namespace proxy::dns {

class AresChannel {
 public:
  // `status` is an ARES_* code; `answer` is the raw response (empty unless ARES_SUCCESS).
  using QueryDone = std::function<void(int status, const std::vector<unsigned char>& answer)>;

  // `servers`: "ip:port" / "[ip6]:port" entries; empty = the system's resolv.conf.
  // Each server is tried once per query with `timeout_ms`. Nothing is read from
  // /etc/hosts (lookups "b": DNS only).
  static Result<std::unique_ptr<AresChannel>> create(uv_loop_t* loop,
                                                     const std::vector<std::string>& servers,
                                                     uint32_t timeout_ms);
  // Pending queries are dropped: their QueryDone is destroyed without running.
  ~AresChannel();
  AresChannel(const AresChannel&) = delete;
  AresChannel& operator=(const AresChannel&) = delete;

  // Sends a class IN query for `name` of `type` (ns_t_naptr, ns_t_srv, ns_t_a, ...).
  // `done` always runs later from the loop, never before query() returns.
  void query(const std::string& name, int type, QueryDone done);

  size_t pending() const { return in_flight_ + ready_.size(); }

 private:
  struct Ready {
    QueryDone done;
    int status;
    std::vector<unsigned char> answer;
  };
  struct InFlight {  // the `arg` c-ares hands back to onAnswer
    AresChannel* channel;
    QueryDone done;
  };

  AresChannel(uv_loop_t* loop);
  static void onSocketState(void* data, ares_socket_t fd, int readable, int writable);
  static void onAnswer(void* arg, int status, int timeouts, unsigned char* abuf, int alen);
  static void onPoll(uv_poll_t* poll, int status, int events);
  static void onTimer(uv_timer_t* timer);
  void process(ares_socket_t readable, ares_socket_t writable);
  void runReady();  // runs queued completions, then re-arms the timer
  void armTimer();

  uv_loop_t* loop_;
  ares_channel channel_ = nullptr;
  std::map<ares_socket_t, uv::Handle<uv_poll_t>> polls_;
  uv::Handle<uv_timer_t> timer_;  // a raw handle: a completion may destroy us inside it
  std::deque<Ready> ready_;
  size_t in_flight_ = 0;
  bool destroying_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // false once destroyed
};

}  // namespace proxy::dns
