// SPDX-License-Identifier: Apache-2.0
// TLS through a real ShardSet: a blocking OpenSSL client in the test thread
// against the server; outbound TLS via sendTo between two Transports.
#include <doctest/doctest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <atomic>

#include "proxy/transport/tls_certificate.h"
#include "proxy/transport/transport_test_util.h"

using namespace proxy::transport;
using namespace proxy::transport::test;

namespace {

struct TlsFixture {
  TempDir dir;
  std::string cert = dir.path() + "/tls/confab.crt";
  std::string key = dir.path() + "/tls/confab.key";
  TlsFixture() { REQUIRE(!ensureSelfSignedCertificate(cert, key, "localhost")); }
  ListenerConfig config() const {
    ListenerConfig c = listener(Protocol::Tls);
    c.certificate_file = cert;
    c.private_key_file = key;
    return c;
  }
};

// A blocking TLS client over a connected Client socket; reads time out via SO_RCVTIMEO.
class TlsClient {
 public:
  explicit TlsClient(uint16_t port, const std::string& ca_file = "")
      : socket_(SOCK_STREAM, port), ctx_(SSL_CTX_new(TLS_client_method())) {
    timeval tv{5, 0};
    ::setsockopt(socket_.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (!ca_file.empty()) {
      SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr);
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    }
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, socket_.fd());
    SSL_set_tlsext_host_name(ssl_, "localhost");
    handshake_ok_ = SSL_connect(ssl_) == 1;
    ERR_clear_error();
  }
  ~TlsClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }
  bool handshakeOk() const { return handshake_ok_; }
  bool send(std::string_view data) {
    size_t written = 0;
    return SSL_write_ex(ssl_, data.data(), data.size(), &written) == 1 && written == data.size();
  }
  std::string receive(size_t want) {
    std::string out;
    char buf[16384];
    while (out.size() < want) {
      size_t n = 0;
      if (SSL_read_ex(ssl_, buf, sizeof(buf), &n) != 1) {
        ERR_clear_error();
        break;
      }
      out.append(buf, n);
    }
    return out;
  }
  bool waitClosed() {
    char buf[256];
    size_t n = 0;
    bool closed = SSL_read_ex(ssl_, buf, sizeof(buf), &n) != 1;
    ERR_clear_error();
    return closed;
  }
  const char* version() const { return SSL_get_version(ssl_); }

 private:
  Client socket_;
  SSL_CTX* ctx_;
  SSL* ssl_ = nullptr;
  bool handshake_ok_ = false;
};

}  // namespace

TEST_CASE("TLS: a message and its reply over one connection, 1 and 3 shards") {
  TlsFixture tls;
  for (unsigned shard_count : {1u, 3u}) {
    CAPTURE(shard_count);
    Harness h(shard_count, {tls.config()});
    h.on_message = [&h](Inbound& in) {
      h.transports.send(in.flow, "R:" + std::string(in.bytes.get(), in.size));
    };
    REQUIRE(!h.start());
    for (int round = 0; round < 3; ++round) {
      TlsClient c(h.port(), tls.cert);  // verifies the generated certificate
      REQUIRE(c.handshakeOk());
      std::string a = sipMessage("tls-a", "encrypted body");
      std::string b = sipMessage("tls-b");
      REQUIRE(c.send(a + b));
      std::string expected = "R:" + a + "R:" + b;
      CHECK(c.receive(expected.size()) == expected);
      REQUIRE(c.send("\r\n\r\n"));
      CHECK(c.receive(2) == "\r\n");
    }
    REQUIRE(h.inbox.waitFor(6));
    auto items = h.inbox.items();
    CHECK(items[0].flow.protocol == Protocol::Tls);
    CHECK(items[0].flow.connection_id == items[1].flow.connection_id);
    CHECK(items[0].bytes == sipMessage("tls-a", "encrypted body"));
  }
}

TEST_CASE("TLS: a client that does not speak TLS fails the handshake and is closed") {
  TlsFixture tls;
  Harness h(1, {tls.config()});
  REQUIRE(!h.start());
  uint64_t failed = counter("transport.drop.tls_handshake");
  Client c(SOCK_STREAM, h.port());
  REQUIRE(c.send(sipMessage("plain text on a TLS port")));
  CHECK(c.waitClosed());
  CHECK(eventually([&] { return counter("transport.drop.tls_handshake") == failed + 1; }));
  CHECK(h.inbox.size() == 0);
}

TEST_CASE("TLS: a handshake that never finishes is cut by the message timeout") {
  TlsFixture tls;
  Limits limits;
  limits.message_timeout_ms = 200;
  Harness h(1, {tls.config()}, limits);
  REQUIRE(!h.start());
  uint64_t slow = counter("transport.drop.handshake_timeout");
  Client c(SOCK_STREAM, h.port());  // connects, never sends a ClientHello
  CHECK(c.waitClosed(3s));
  CHECK(counter("transport.drop.handshake_timeout") == slow + 1);
}

TEST_CASE("TLS: outbound sendTo handshakes, reuses the connection and gets replies") {
  TlsFixture tls;
  // Declared before the harnesses: done callbacks may run while they stop.
  std::atomic<int> ok_count{0};
  Harness server(3, {tls.config()});
  server.on_message = [&server](Inbound& in) {
    server.transports.send(in.flow, "R:" + std::string(in.bytes.get(), in.size));
  };
  REQUIRE(!server.start());
  Harness client(2, {});
  REQUIRE(!client.start());
  auto remote = Address::fromIpPort("127.0.0.1", server.port());
  for (const char* tag : {"one", "two", "three"}) {
    client.transports.sendTo(Protocol::Tls, *remote, sipMessage(tag),
                             [&](bool ok) { ok_count += ok; });
  }
  REQUIRE(server.inbox.waitFor(3));
  auto items = server.inbox.items();
  CHECK(items[0].bytes == sipMessage("one"));
  CHECK(items[2].bytes == sipMessage("three"));
  CHECK(items[0].flow.connection_id == items[2].flow.connection_id);
  REQUIRE(client.inbox.waitFor(3));
  CHECK(client.inbox.items()[0].bytes == "R:" + sipMessage("one"));
  CHECK(client.inbox.items()[0].flow.protocol == Protocol::Tls);
  CHECK(eventually([&] { return ok_count.load() == 3; }));
  CHECK(client.transports.connectionCount() == 1);
}

TEST_CASE("TLS: outbound to a plain TCP server fails the handshake with done(false)") {
  // Declared before the harnesses: done callbacks may run while they stop.
  std::atomic<int> done{-1};
  Limits server_limits;
  server_limits.message_timeout_ms = 200;  // gives up on the unframable ClientHello quickly
  Harness server(1, {listener(Protocol::Tcp)}, server_limits);
  REQUIRE(!server.start());
  Harness client(1, {});
  REQUIRE(!client.start());
  auto remote = Address::fromIpPort("127.0.0.1", server.port());
  client.transports.sendTo(Protocol::Tls, *remote, sipMessage("x"), [&](bool ok) { done = ok; });
  // The ClientHello is binary garbage to the TCP side, which times it out and closes;
  // the client's handshake then fails and the queued message reports failure.
  CHECK(eventually([&] { return done.load() == 0; }));
  CHECK(eventually([&] { return client.transports.connectionCount() == 0; }));
}
