// SPDX-License-Identifier: Apache-2.0
#include "proxy/http/http_requests.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>

namespace proxy::http {
namespace {

HttpServerOptions testOptions(std::string certificate = "") {
  HttpServerOptions o;
  o.name = "test endpoint";
  o.certificate = std::move(certificate);
  return o;
}

// One request over a fresh loopback connection; the raw response ("" on timeout).
std::string roundTrip(uint16_t port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return {};
  }
  (void)!::write(fd, request.data(), request.size());
  std::string response;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) {
      continue;
    }
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) {
      break;
    }
    response.append(buf, static_cast<size_t>(n));
    const size_t head_end = response.find("\r\n\r\n");
    const size_t length_at = response.find("content-length: ");
    if (head_end != std::string::npos && length_at != std::string::npos) {
      const size_t length = std::stoul(response.substr(length_at + 16));
      if (response.size() >= head_end + 4 + length) {
        break;
      }
    }
  }
  ::close(fd);
  return response;
}

}  // namespace

TEST_CASE("requests are answered whole, from another thread too") {
  std::thread worker;
  auto server =
      RequestServer::start(testOptions(), 64, [&worker](HttpRequest request, Reply reply) {
        if (request.method == "GET") {
          reply({200, "text/plain", "got " + request.path, {{"ETag", "\"e1\""}}});
          return;
        }
        // Answered later from another thread, as a shard would.
        worker = std::thread([request = std::move(request), reply = std::move(reply)] {
          reply({201,
                 "text/plain",
                 request.method + ":" + request.body + ":" + request.if_match,
                 {}});
        });
      });
  REQUIRE(server);
  const uint16_t port = (*server)->port();
  REQUIRE(port != 0);

  const std::string got = roundTrip(port, "GET /a/b%5B1%5D HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(got.starts_with("HTTP/1.1 200"));
  CHECK(got.find("got /a/b[1]") != std::string::npos);
  CHECK(got.find("\"e1\"") != std::string::npos);

  const std::string put = roundTrip(
      port, "PUT /doc HTTP/1.1\r\nHost: x\r\nIf-Match: \"e1\"\r\nContent-Length: 5\r\n\r\nhello");
  CHECK(put.starts_with("HTTP/1.1 201"));
  CHECK(put.find("PUT:hello:\"e1\"") != std::string::npos);
  worker.join();

  const std::string big = roundTrip(
      port, "PUT /doc HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'));
  CHECK(big.starts_with("HTTP/1.1 413"));

  const std::string chunked = roundTrip(
      port,
      "PUT /doc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  CHECK(chunked.starts_with("HTTP/1.1 411"));
}

TEST_CASE("a reply after the server is gone is dropped") {
  std::mutex mutex;  // the handler runs on the server's thread
  Reply kept;
  auto server = RequestServer::start(testOptions(), 64, [&](HttpRequest, Reply reply) {
    std::lock_guard lock(mutex);
    kept = std::move(reply);
  });
  REQUIRE(server);
  const uint16_t port = (*server)->port();
  std::thread client([port] { (void)roundTrip(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); });
  auto held = [&] {
    std::lock_guard lock(mutex);
    return static_cast<bool>(kept);
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!held() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(held());
  server->reset();                        // the connection closes; the client sees no answer
  kept({200, "text/plain", "late", {}});  // dropped, no crash
  client.join();
}

TEST_CASE("a certificate without a key is refused") {
  auto server = RequestServer::start(testOptions("cert.pem"), 64, [](HttpRequest, Reply) {});
  CHECK(!server);
}

}  // namespace proxy::http
