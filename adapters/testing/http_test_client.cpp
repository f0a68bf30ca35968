// SPDX-License-Identifier: Apache-2.0
#include "adapters/testing/http_test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace adapters::testing {
namespace {

using Clock = std::chrono::steady_clock;

int connectLoopback(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd >= 0) {
      ::close(fd);
    }
    return -1;
  }
  return fd;
}

bool sendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

// Appends what arrives before `deadline`; false on timeout, close or error.
bool readSome(int fd, std::string& into, Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) {
    return false;
  }
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
    return false;
  }
  char buf[16384];
  const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  if (n <= 0) {
    return false;
  }
  into.append(buf, static_cast<size_t>(n));
  return true;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Parses "HTTP/1.1 200 OK\r\nName: value\r\n..." up to the blank line.
int parseHead(const std::string& head, std::map<std::string, std::string>& headers) {
  int status = 0;
  if (head.size() > 12 && head.starts_with("HTTP/1.")) {
    status = std::atoi(head.c_str() + 9);
  }
  size_t pos = head.find("\r\n");
  while (pos != std::string::npos && pos + 2 < head.size()) {
    const size_t next = head.find("\r\n", pos + 2);
    const std::string line = head.substr(pos + 2, next - pos - 2);
    if (const size_t colon = line.find(':'); colon != std::string::npos) {
      size_t v = colon + 1;
      while (v < line.size() && line[v] == ' ') {
        ++v;
      }
      headers[lower(line.substr(0, colon))] = line.substr(v);
    }
    pos = next;
  }
  return status;
}

std::string requestText(const std::string& method, const std::string& target, uint16_t port,
                        const std::vector<std::string>& headers, const std::string& body,
                        bool close) {
  std::string req =
      method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n";
  for (const std::string& h : headers) {
    req += h + "\r\n";
  }
  if (!body.empty() || method == "POST" || method == "PUT") {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  if (close) {
    req += "Connection: close\r\n";
  }
  return req + "\r\n" + body;
}

}  // namespace

HttpResponse httpRequest(uint16_t port, const std::string& method, const std::string& target,
                         const std::vector<std::string>& headers, const std::string& body) {
  HttpResponse r;
  const int fd = connectLoopback(port);
  if (fd < 0 || !sendAll(fd, requestText(method, target, port, headers, body, true))) {
    if (fd >= 0) {
      ::close(fd);
    }
    return r;
  }
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  std::string data;
  size_t head_end = std::string::npos;
  while (head_end == std::string::npos && readSome(fd, data, deadline)) {
    head_end = data.find("\r\n\r\n");
  }
  if (head_end != std::string::npos) {
    r.status = parseHead(data.substr(0, head_end), r.headers);
    r.body = data.substr(head_end + 4);
    const auto length = r.headers.find("content-length");
    const size_t want = length != r.headers.end() ? std::stoul(length->second) : SIZE_MAX;
    while (r.body.size() < want && readSome(fd, r.body, deadline)) {
    }
  }
  ::close(fd);
  return r;
}

SseClient::SseClient(uint16_t port, const std::string& target,
                     const std::vector<std::string>& headers) {
  fd_ = connectLoopback(port);
  std::vector<std::string> all = headers;
  all.push_back("Accept: text/event-stream");
  if (fd_ < 0 || !sendAll(fd_, requestText("GET", target, port, all, "", false))) {
    return;
  }
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  size_t head_end = std::string::npos;
  while (head_end == std::string::npos && readSome(fd_, buffer_, deadline)) {
    head_end = buffer_.find("\r\n\r\n");
  }
  if (head_end != std::string::npos) {
    std::map<std::string, std::string> h;
    status_ = parseHead(buffer_.substr(0, head_end), h);
    buffer_.erase(0, head_end + 4);
  }
}

SseClient::~SseClient() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

std::optional<std::string> SseClient::next(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (const size_t end = buffer_.find("\n\n"); end != std::string::npos) {
      std::string block = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      return block;
    }
    if (fd_ < 0 || !readSome(fd_, buffer_, deadline)) {
      return std::nullopt;
    }
  }
}

std::optional<std::string> SseClient::nextEvent(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    auto block = next(std::max(left, std::chrono::milliseconds(0)));
    if (!block || block->find("data:") != std::string::npos) {
      return block;
    }
  }
}

WsClient::WsClient(uint16_t port, const std::string& target,
                   const std::vector<std::string>& headers) {
  fd_ = connectLoopback(port);
  std::vector<std::string> all = headers;
  all.insert(all.end(),
             {"Upgrade: websocket", "Connection: Upgrade",
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"});
  if (fd_ < 0 || !sendAll(fd_, requestText("GET", target, port, all, "", false))) {
    return;
  }
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  size_t head_end = std::string::npos;
  while (head_end == std::string::npos && readSome(fd_, buffer_, deadline)) {
    head_end = buffer_.find("\r\n\r\n");
  }
  if (head_end != std::string::npos) {
    std::map<std::string, std::string> h;
    open_ = parseHead(buffer_.substr(0, head_end), h) == 101;
    buffer_.erase(0, head_end + 4);
  }
}

WsClient::~WsClient() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

bool WsClient::send(const std::string& text) {
  std::string frame;
  frame.push_back(static_cast<char>(0x81));
  const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
  if (text.size() < 126) {
    frame.push_back(static_cast<char>(0x80 | text.size()));
  } else {
    frame.push_back(static_cast<char>(0x80 | 126));
    frame.push_back(static_cast<char>((text.size() >> 8) & 0xff));
    frame.push_back(static_cast<char>(text.size() & 0xff));
  }
  frame.append(reinterpret_cast<const char*>(mask), 4);
  for (size_t i = 0; i < text.size(); ++i) {
    frame.push_back(static_cast<char>(text[i] ^ mask[i % 4]));
  }
  return fd_ >= 0 && sendAll(fd_, frame);
}

bool WsClient::fill(Clock::time_point deadline) {
  return fd_ >= 0 && readSome(fd_, buffer_, deadline);
}

std::optional<std::string> WsClient::receive(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (buffer_.size() >= 2) {
      const auto b0 = static_cast<unsigned char>(buffer_[0]);
      const auto b1 = static_cast<unsigned char>(buffer_[1]);
      size_t header = 2;
      uint64_t length = b1 & 0x7f;
      if (length == 126 && buffer_.size() >= 4) {
        length =
            (static_cast<unsigned char>(buffer_[2]) << 8) | static_cast<unsigned char>(buffer_[3]);
        header = 4;
      } else if (length == 127) {
        return std::nullopt;  // the tests never need 64-bit lengths
      }
      if ((length < 126 || header == 4) && buffer_.size() >= header + length) {
        std::string payload = buffer_.substr(header, length);
        buffer_.erase(0, header + length);
        if ((b0 & 0x0f) == 0x1) {
          return payload;
        }
        continue;  // ping, pong, close: not text
      }
    }
    if (!fill(deadline)) {
      return std::nullopt;
    }
  }
}

WebhookReceiver::WebhookReceiver(std::vector<int> statuses) : statuses_(std::move(statuses)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(listen_fd_, 16);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

WebhookReceiver::~WebhookReceiver() {
  done_ = true;
  thread_.join();
  ::close(listen_fd_);
}

std::vector<ReceivedRequest> WebhookReceiver::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void WebhookReceiver::serve() {
  while (!done_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) {
      continue;
    }
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) {
      continue;
    }
    const auto deadline = Clock::now() + std::chrono::seconds(3);
    std::string data;
    size_t head_end = std::string::npos;
    while (head_end == std::string::npos && readSome(fd, data, deadline)) {
      head_end = data.find("\r\n\r\n");
    }
    if (head_end == std::string::npos) {
      ::close(fd);
      continue;
    }
    ReceivedRequest req;
    const std::string head = data.substr(0, head_end);
    parseHead("HTTP/1.1 000" + head.substr(head.find("\r\n")), req.headers);
    const size_t sp1 = head.find(' ');
    req.target = head.substr(sp1 + 1, head.find(' ', sp1 + 1) - sp1 - 1);
    req.body = data.substr(head_end + 4);
    const auto length = req.headers.find("content-length");
    const size_t want = length != req.headers.end() ? std::stoul(length->second) : 0;
    while (req.body.size() < want && readSome(fd, req.body, deadline)) {
    }
    int status = 200;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(req);
      const size_t i = std::min(requests_.size() - 1, statuses_.size() - 1);
      status = statuses_.empty() ? 200 : statuses_[i];
    }
    sendAll(fd, "HTTP/1.1 " + std::to_string(status) +
                    " X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    ::shutdown(fd, SHUT_WR);
    std::string rest;
    readSome(fd, rest, Clock::now() + std::chrono::milliseconds(200));
    ::close(fd);
  }
}

}  // namespace adapters::testing
