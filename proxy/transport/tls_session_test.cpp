// SPDX-License-Identifier: Apache-2.0
// TlsSession over memory BIOs, with no sockets: two sessions pump ciphertext to
// each other in the test thread.
#include "proxy/transport/tls_session.h"

#include <doctest/doctest.h>

#include "proxy/transport/tls_certificate.h"
#include "proxy/transport/transport_test_util.h"

using namespace proxy::transport;

namespace {

// Moves every pending ciphertext byte from `from` to `to`; returns how many moved.
size_t pump(TlsSession& from, TlsSession& to) {
  char buf[16384];
  size_t moved = 0;
  while (from.pendingCiphertext() > 0) {
    size_t n = from.takeCiphertext(buf, sizeof(buf));
    to.pushCiphertext(buf, n);
    moved += n;
  }
  return moved;
}

struct Pair {
  Pair(std::unique_ptr<TlsSession> c, std::unique_ptr<TlsSession> s)
      : client(std::move(c)), server(std::move(s)) {}
  std::unique_ptr<TlsSession> client, server;
  std::string server_plain, client_plain;
  TlsSession::Status client_status = TlsSession::Status::Ok;
  TlsSession::Status server_status = TlsSession::Status::Ok;

  static std::string drain(TlsSession& s, TlsSession::Status& status) {
    std::string out;
    char buf[4096];
    for (;;) {
      auto r = s.readPlaintext(buf, sizeof(buf));
      if (r.bytes == 0) {
        status = r.status;
        return out;
      }
      out.append(buf, r.bytes);
    }
  }
  // Runs the exchange until nothing moves or something fails.
  void run() {
    for (int i = 0; i < 20; ++i) {
      size_t moved = pump(*client, *server);
      server_plain += drain(*server, server_status);
      moved += pump(*server, *client);
      client_plain += drain(*client, client_status);
      if (moved == 0 || client_status != TlsSession::Status::Ok ||
          server_status != TlsSession::Status::Ok) {
        return;
      }
    }
  }
};

}  // namespace

TEST_CASE("TlsSession: handshake and data both ways through memory BIOs") {
  proxy::transport::test::TempDir dir;
  std::string cert = dir.path() + "/c.pem", key = dir.path() + "/k.pem";
  REQUIRE(!ensureSelfSignedCertificate(cert, key, "localhost"));
  auto server_ctx = TlsContext::server(cert, key);
  REQUIRE(server_ctx.ok());

  SUBCASE("verifying client, matching name") {
    auto client_ctx = TlsContext::client({.verify_peer = true, .ca_file = cert});
    REQUIRE(client_ctx.ok());
    Pair p(TlsSession::connect(**client_ctx, "localhost"), TlsSession::accept(**server_ctx));
    REQUIRE(p.client);
    REQUIRE(p.server);
    CHECK(p.client->start() == TlsSession::Status::Ok);
    CHECK(p.server->start() == TlsSession::Status::Ok);
    p.run();
    REQUIRE(p.client->handshakeDone());
    REQUIRE(p.server->handshakeDone());
    CHECK(p.client->writePlaintext("hello server") == TlsSession::Status::Ok);
    CHECK(p.server->writePlaintext("hello client") == TlsSession::Status::Ok);
    p.run();
    CHECK(p.server_plain == "hello server");
    CHECK(p.client_plain == "hello client");
  }
  SUBCASE("verifying client, wrong name: the handshake fails") {
    auto client_ctx = TlsContext::client({.verify_peer = true, .ca_file = cert});
    REQUIRE(client_ctx.ok());
    Pair p(TlsSession::connect(**client_ctx, "other.example.test"),
           TlsSession::accept(**server_ctx));
    CHECK(p.client->start() == TlsSession::Status::Ok);
    p.run();
    CHECK(p.client_status == TlsSession::Status::Failed);
    CHECK_FALSE(p.client->handshakeDone());
    CHECK(p.client->error().find("certificate verify failed") != std::string::npos);
  }
  SUBCASE("non-verifying client accepts the self-signed server") {
    auto client_ctx = TlsContext::client({});
    REQUIRE(client_ctx.ok());
    Pair p(TlsSession::connect(**client_ctx, "127.0.0.1"), TlsSession::accept(**server_ctx));
    CHECK(p.client->start() == TlsSession::Status::Ok);
    p.run();
    CHECK(p.client->handshakeDone());
    CHECK(p.client->writePlaintext("x") == TlsSession::Status::Ok);
  }
  SUBCASE("garbage instead of a ClientHello fails the server side") {
    auto server = TlsSession::accept(**server_ctx);
    std::string junk = "INVITE sip:x SIP/2.0\r\n\r\n";
    server->pushCiphertext(junk.data(), junk.size());
    char buf[64];
    auto r = server->readPlaintext(buf, sizeof(buf));
    CHECK(r.bytes == 0);
    CHECK(r.status == TlsSession::Status::Failed);
    CHECK_FALSE(server->error().empty());
  }
  SUBCASE("writing before the handshake is refused, not crashed") {
    auto client_ctx = TlsContext::client({});
    auto client = TlsSession::connect(**client_ctx, "");
    CHECK(client->start() == TlsSession::Status::Ok);
    CHECK(client->writePlaintext("too early") == TlsSession::Status::Failed);
  }
}
