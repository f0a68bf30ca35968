// SPDX-License-Identifier: Apache-2.0
// UDP through a real ShardSet on 127.0.0.1, port 0, with 1 and 3 shards.
#include <doctest/doctest.h>

#include <atomic>
#include <set>

#include "proxy/transport/transport_test_util.h"

using namespace proxy::transport;
using namespace proxy::transport::test;

TEST_CASE("UDP: bind reports the port, echo through the handler and send(flow)") {
  for (unsigned shard_count : {1u, 3u}) {
    CAPTURE(shard_count);
    Harness h(shard_count, {listener(Protocol::Udp)});
    h.on_message = [&h](Inbound& in) {
      h.transports.send(in.flow, "ECHO " + std::string(in.bytes.get(), in.size));
    };
    REQUIRE(!h.start());
    REQUIRE(h.port() != 0);

    // Several client sockets (source ports), so with 3 shards more than one shard reads.
    std::set<unsigned> shards_seen;
    for (int i = 0; i < 8; ++i) {
      Client c(SOCK_DGRAM, h.port());
      std::string m = sipMessage("u" + std::to_string(i), "hi");
      REQUIRE(c.send(m));
      sockaddr_in from{};
      std::string reply = c.receive(1, kWait, &from);
      CHECK(reply == "ECHO " + m);
      CHECK(ntohs(from.sin_port) == h.port());  // every shard's socket shares the address
    }
    REQUIRE(h.inbox.waitFor(8));
    for (const Received& r : h.inbox.items()) {
      CHECK(r.flow.protocol == Protocol::Udp);
      CHECK(r.flow.connection_id == 0);
      CHECK(r.flow.local.port() == h.port());
      CHECK(r.flow.remote.ip() == "127.0.0.1");
      CHECK(r.flow.shard == r.thread_shard);  // handed up on the receiving shard
      CHECK(r.flow.shard < shard_count);
      shards_seen.insert(r.flow.shard);
    }
    CHECK(!shards_seen.empty());
  }
}

TEST_CASE("UDP: keep-alives are ignored, oversize datagrams dropped and counted") {
  Limits limits;
  limits.max_message_size = 1000;
  Harness h(1, {listener(Protocol::Udp)}, limits);
  REQUIRE(!h.start());
  uint64_t oversize = counter("transport.drop.oversize");
  uint64_t keepalives = counter("transport.keepalive.udp_ignored");
  Client c(SOCK_DGRAM, h.port());
  REQUIRE(c.send("\r\n\r\n"));
  REQUIRE(c.send(" \r\n"));
  REQUIRE(c.send(sipMessage("big", std::string(2000, 'x'))));
  REQUIRE(c.send(sipMessage("small", "y")));
  REQUIRE(h.inbox.waitFor(1));
  CHECK(eventually([&] { return counter("transport.drop.oversize") == oversize + 1; }));
  CHECK(counter("transport.keepalive.udp_ignored") == keepalives + 2);
  auto items = h.inbox.items();
  REQUIRE(items.size() == 1);
  CHECK(items[0].bytes == sipMessage("small", "y"));
}

TEST_CASE("UDP: send from a non-shard thread posts to the flow's shard and reports done") {
  // Declared before the harnesses: done callbacks may run while they stop.
  std::atomic<int> done{-1};
  Harness h(3, {listener(Protocol::Udp)});
  REQUIRE(!h.start());
  Client c(SOCK_DGRAM, h.port());
  REQUIRE(c.send(sipMessage("x")));
  REQUIRE(h.inbox.waitFor(1));
  Flow flow = h.inbox.items()[0].flow;
  h.transports.send(flow, "from the test thread", [&](bool ok) { done = ok ? 1 : 0; });
  CHECK(c.receive() == "from the test thread");
  CHECK(eventually([&] { return done.load() == 1; }));
  // The token form reaches the same client.
  auto back = Flow::fromToken(flow.token());
  REQUIRE(back);
  h.transports.send(*back, "via token");
  CHECK(c.receive() == "via token");
}

TEST_CASE("UDP: sendTo reaches a plain socket; a flow for a bad shard fails") {
  // Declared before the harnesses: done callbacks may run while they stop.
  std::atomic<int> done{-1};
  std::atomic<int> bad_done{-1};
  Harness h(1, {listener(Protocol::Udp)});
  REQUIRE(!h.start());
  Client target(SOCK_DGRAM, 9);  // only used to receive
  sockaddr_in bound{};
  bound.sin_family = AF_INET;
  bound.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(target.fd(), reinterpret_cast<sockaddr*>(&bound), sizeof(bound)) == 0);
  socklen_t len = sizeof(bound);
  REQUIRE(::getsockname(target.fd(), reinterpret_cast<sockaddr*>(&bound), &len) == 0);
  auto remote = Address::fromIpPort("127.0.0.1", ntohs(bound.sin_port));
  h.transports.sendTo(Protocol::Udp, *remote, "hello", [&](bool ok) { done = ok ? 1 : 0; });
  CHECK(target.receive() == "hello");
  CHECK(eventually([&] { return done.load() == 1; }));

  Flow bad;
  bad.remote = *remote;
  bad.shard = 7;
  h.transports.send(bad, "x", [&](bool ok) { bad_done = ok ? 1 : 0; });
  CHECK(bad_done.load() == 0);
}

TEST_CASE("bind: errors are reported, not fatal") {
  {
    // Without SO_REUSEPORT on the holder's side a second bind fails. Hold the port with a
    // plain socket to get a real "Address already in use".
    int holder = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(holder, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) == 0);
    REQUIRE(::listen(holder, 1) == 0);
    socklen_t len = sizeof(sin);
    REQUIRE(::getsockname(holder, reinterpret_cast<sockaddr*>(&sin), &len) == 0);
    uint16_t port = ntohs(sin.sin_port);
    proxy::uv::ShardSet shards(2);
    Transports t(shards, {listener(Protocol::Tcp, port)}, {});
    auto error = t.bind();
    ::close(holder);
    REQUIRE(error);
    CHECK(*error ==
          "cannot bind TCP 127.0.0.1:" + std::to_string(port) + ": Address already in use");
  }
  {
    proxy::uv::ShardSet shards(1);
    Transports t(shards, {listener(Protocol::Udp, 0, "not-an-ip")}, {});
    auto error = t.bind();
    REQUIRE(error);
    CHECK(error->find("not an IP address") != std::string::npos);
  }
  {
    proxy::uv::ShardSet shards(1);
    ListenerConfig tls = listener(Protocol::Tls);
    tls.certificate_file = "/nonexistent/c.pem";
    tls.private_key_file = "/nonexistent/k.pem";
    Transports t(shards, {tls}, {});
    auto error = t.bind();
    REQUIRE(error);
    CHECK(error->find("cannot load TLS certificate") != std::string::npos);
  }
}

TEST_CASE("bind: an IPv6 loopback listener works when the host has ::1") {
  Harness h(2, {listener(Protocol::Udp, 0, "::1")});
  auto error = h.start();
  if (error) {
    MESSAGE("IPv6 unavailable here: " << *error);
    return;
  }
  CHECK(h.port() != 0);
}
