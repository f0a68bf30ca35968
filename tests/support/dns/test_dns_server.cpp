// SPDX-License-Identifier: Apache-2.0
#include "tests/support/dns/test_dns_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "tests/support/dns/dns_answer.h"

namespace confab::testdns {
namespace {

// Binds a UDP socket on ip:port (IPv4 or IPv6 literal); returns the fd or an error.
proxy::Result<int> bindUdp(const std::string& ip, uint16_t port) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof *v4;
  } else if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof *v6;
  } else {
    return proxy::makeError(0, "not an IP literal: " + ip);
  }
  int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return proxy::makeError(0, std::string("socket: ") + strerror(errno));
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    std::string why = strerror(errno);
    close(fd);
    return proxy::makeError(0, "cannot bind UDP " + ip + ":" + std::to_string(port) + ": " + why);
  }
  return fd;
}

uint16_t boundPort(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return ss.ss_family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port)
                                 : ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

}  // namespace

proxy::Result<std::unique_ptr<TestDnsServer>> TestDnsServer::start(Zone zone, std::string address,
                                                                   uint16_t port,
                                                                   bool log_queries) {
  auto fd = bindUdp(address, port);
  if (!fd) {
    return fd.error();
  }
  std::unique_ptr<TestDnsServer> server(new TestDnsServer());
  server->udp_fd_ = *fd;
  server->address_ = std::move(address);
  server->port_ = boundPort(*fd);
  server->zone_ = std::move(zone);
  server->log_queries_ = log_queries;
  if (pipe2(server->wake_pipe_, O_CLOEXEC) != 0) {
    return proxy::makeError(0, std::string("pipe: ") + strerror(errno));
  }
  server->thread_ = std::thread([s = server.get()] { s->serve(); });
  return server;
}

TestDnsServer::~TestDnsServer() {
  if (thread_.joinable()) {
    char byte = 'x';
    (void)!write(wake_pipe_[1], &byte, 1);
    thread_.join();
  }
  for (int fd : {udp_fd_, wake_pipe_[0], wake_pipe_[1]}) {
    if (fd >= 0) {
      close(fd);
    }
  }
}

std::string TestDnsServer::serverSpec() const {
  bool v6 = address_.find(':') != std::string::npos;
  return (v6 ? "[" + address_ + "]" : address_) + ":" + std::to_string(port_);
}

void TestDnsServer::setZone(Zone zone) {
  std::lock_guard lock(mutex_);
  zone_ = std::move(zone);
}

size_t TestDnsServer::queryCount() const {
  std::lock_guard lock(mutex_);
  return total_;
}

size_t TestDnsServer::queryCount(std::string_view name, RecordType type) const {
  std::lock_guard lock(mutex_);
  auto it = counts_.find({normaliseName(name), static_cast<uint16_t>(type)});
  return it == counts_.end() ? 0 : it->second;
}

void TestDnsServer::serve() {
  char buf[4096];
  while (true) {
    pollfd fds[2] = {{udp_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;
    }
    if (fds[1].revents != 0) {
      return;  // stop requested
    }
    sockaddr_storage from{};
    socklen_t from_len = sizeof from;
    ssize_t n =
        recvfrom(udp_fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n <= 0) {
      continue;
    }
    std::optional<Answer> answer;
    {
      std::lock_guard lock(mutex_);
      answer = answerQuery(zone_, std::string_view(buf, static_cast<size_t>(n)));
      if (answer) {
        ++counts_[{answer->name, answer->type}];
        ++total_;
      }
    }
    if (!answer) {
      continue;  // not a query we understand: ignore, as a server may
    }
    if (log_queries_) {
      fprintf(stderr, "dns: %s %s -> %s\n", answer->name.c_str(), typeName(answer->type).c_str(),
              answer->outcome.c_str());
    }
    if (answer->wire) {
      sendto(udp_fd_, answer->wire->data(), answer->wire->size(), 0,
             reinterpret_cast<sockaddr*>(&from), from_len);
    }
  }
}

}  // namespace confab::testdns
