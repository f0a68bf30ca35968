// SPDX-License-Identifier: Apache-2.0
// Test helpers for the transport socket tests: a running ShardSet + Transports
// (Harness), a thread-safe inbox of received messages, blocking POSIX clients
// with bounded waits, and a temporary directory. Test code only.
#pragma once

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "proxy/base/counters.h"
#include "proxy/transport/transport.h"
#include "proxy/uv/shard.h"

namespace proxy::transport::test {

using namespace std::chrono_literals;
constexpr auto kWait = 5s;  // upper bound for anything that should happen "soon"

inline uint64_t counter(std::string_view name) { return counters::get(name).value(); }

// Waits (bounded) until `pred` holds, polling every few milliseconds.
inline bool eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

struct Received {
  std::string bytes;
  Flow flow;
  unsigned thread_shard = 0;  // Shard::current() when the handler ran
  std::shared_ptr<const std::vector<std::string>> tls_peer_names;
};

class Inbox {
 public:
  void push(Inbound&& in) {
    std::lock_guard lock(mutex_);
    auto* shard = uv::Shard::current();
    items_.push_back({std::string(in.bytes.get(), in.size), in.flow, shard ? shard->id() : 999,
                      in.tls_peer_names});
    cv_.notify_all();
  }
  bool waitFor(size_t n, std::chrono::milliseconds limit = kWait) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, limit, [&] { return items_.size() >= n; });
  }
  std::vector<Received> items() {
    std::lock_guard lock(mutex_);
    return items_;
  }
  size_t size() {
    std::lock_guard lock(mutex_);
    return items_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Received> items_;
};

// A Transports on its own ShardSet. The handler stores every message in `inbox` and then
// calls `on_message` (set before start()) on the shard thread.
struct Harness {
  Harness(unsigned shard_count, std::vector<ListenerConfig> listeners, Limits limits = {})
      : shards(shard_count), transports(shards, std::move(listeners), limits) {}
  ~Harness() { stop(); }

  std::optional<std::string> start() {
    transports.setHandler([this](Inbound&& in) {
      Inbound copy;
      copy.flow = in.flow;
      copy.tls_peer_names = in.tls_peer_names;
      copy.size = in.size;
      copy.bytes.reset(new char[in.size]);
      std::copy(in.bytes.get(), in.bytes.get() + in.size, copy.bytes.get());
      inbox.push(std::move(copy));
      if (on_message) {
        on_message(in);
      }
    });
    if (auto error = transports.bind()) {
      return error;
    }
    shards.startAll([this](uv::Shard& s) { transports.startShard(s); });
    started = true;
    return std::nullopt;
  }
  void stop() {
    if (started) {
      shards.stopAll([this](uv::Shard& s) { transports.stopShard(s); });
      started = false;
    }
  }
  uint16_t port(size_t listener = 0) const { return transports.boundPorts().at(listener); }

  uv::ShardSet shards;
  Transports transports;
  Inbox inbox;
  std::function<void(Inbound&)> on_message;
  bool started = false;
};

inline ListenerConfig listener(Protocol p, uint16_t port = 0, std::string address = "127.0.0.1") {
  ListenerConfig c;
  c.protocol = p;
  c.address = std::move(address);
  c.port = port;
  return c;
}

inline std::string sipMessage(std::string_view tag, std::string_view body = "") {
  std::string m =
      "MESSAGE sip:bob@example.test SIP/2.0\r\n"
      "Via: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bK-";
  m += tag;
  m += "\r\nCall-ID: ";
  m += tag;
  m += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  m += body;
  return m;
}

// A blocking POSIX socket client with bounded waits.
class Client {
 public:
  Client(int type, uint16_t port) : fd_(socket(AF_INET, type, 0)) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to_ = sin;
    if (type == SOCK_STREAM) {
      connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) == 0;
    } else {
      connected_ = true;
    }
  }
  ~Client() { close(); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  int fd() const { return fd_; }
  void close() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  bool send(std::string_view data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::sendto(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL,
                           reinterpret_cast<const sockaddr*>(&to_), sizeof(to_));
      if (n <= 0) {
        return false;
      }
      off += static_cast<size_t>(n);
    }
    return true;
  }
  // Reads until `want` bytes arrived in total (stream) or one datagram; "" on timeout.
  std::string receive(size_t want = 1, std::chrono::milliseconds limit = kWait,
                      sockaddr_in* from = nullptr) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (out.size() < want) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        break;
      }
      char buf[65536];
      socklen_t len = sizeof(sockaddr_in);
      ssize_t n = ::recvfrom(fd_, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(from),
                             from != nullptr ? &len : nullptr);
      if (n <= 0) {
        break;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  // True when the peer closed (EOF or reset) within `limit`; data before that is skipped.
  bool waitClosed(std::chrono::milliseconds limit = kWait) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        return false;
      }
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        return true;
      }
    }
  }

 private:
  int fd_;
  sockaddr_in to_{};
  bool connected_ = false;
};

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/confab-transport-XXXXXX";
    path_ = ::mkdtemp(pattern) != nullptr ? pattern : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace proxy::transport::test
