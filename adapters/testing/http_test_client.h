// SPDX-License-Identifier: Apache-2.0
// Tiny blocking loopback clients for the plugin's unit tests: one HTTP/1.1 request, a
// Server-Sent Events reader, a WebSocket client, and a webhook receiver that answers with a
// scripted list of statuses. Every read is bounded by a timeout.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace adapters::testing {

struct HttpResponse {
  int status = 0;                              // 0 = no answer
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

HttpResponse httpRequest(uint16_t port, const std::string& method, const std::string& target,
                         const std::vector<std::string>& headers = {},
                         const std::string& body = "");

// Reads events from an open text/event-stream.
class SseClient {
 public:
  SseClient(uint16_t port, const std::string& target, const std::vector<std::string>& headers = {});
  ~SseClient();
  int status() const { return status_; }
  // The next event block (comments included), without the terminating blank line.
  std::optional<std::string> next(std::chrono::milliseconds timeout);
  // The next block that is an event (skips comment-only blocks).
  std::optional<std::string> nextEvent(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  int status_ = 0;
  std::string buffer_;
};

class WsClient {
 public:
  WsClient(uint16_t port, const std::string& target, const std::vector<std::string>& headers = {});
  ~WsClient();
  bool open() const { return open_; }
  bool send(const std::string& text);
  std::optional<std::string> receive(std::chrono::milliseconds timeout);

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);
  int fd_ = -1;
  bool open_ = false;
  std::string buffer_;
};

struct ReceivedRequest {
  std::string target;
  std::map<std::string, std::string> headers;
  std::string body;
};

class WebhookReceiver {
 public:
  explicit WebhookReceiver(std::vector<int> statuses);  // the last one repeats
  ~WebhookReceiver();
  uint16_t port() const { return port_; }
  std::vector<ReceivedRequest> requests() const;

 private:
  void serve();
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::vector<int> statuses_;
  std::atomic<bool> done_{false};
  mutable std::mutex mutex_;
  std::vector<ReceivedRequest> requests_;
  std::thread thread_;
};

}  // namespace adapters::testing
