// SPDX-License-Identifier: Apache-2.0
// TCP through a real ShardSet on 127.0.0.1, port 0: framing, replies on the same
// connection, keep-alives, limits, timeouts, connection reuse by sendTo.
#include <doctest/doctest.h>

#include <atomic>
#include <memory>

#include "proxy/transport/transport_test_util.h"

using namespace proxy::transport;
using namespace proxy::transport::test;

namespace {

// Replies "REPLY <Call-ID tag>" through send(flow) for every message.
void echoReplies(Harness& h) {
  h.on_message = [&h](Inbound& in) {
    h.transports.send(in.flow, "R:" + std::string(in.bytes.get(), in.size));
  };
}

}  // namespace

TEST_CASE("TCP: pipelined messages arrive; replies come back on the same connection") {
  for (unsigned shard_count : {1u, 3u}) {
    CAPTURE(shard_count);
    Harness h(shard_count, {listener(Protocol::Tcp)});
    echoReplies(h);
    REQUIRE(!h.start());
    for (int round = 0; round < 3; ++round) {  // several connections land on several shards
      Client c(SOCK_STREAM, h.port());
      REQUIRE(c.connected());
      std::string a = sipMessage("a" + std::to_string(round), "first body");
      std::string b = sipMessage("b" + std::to_string(round));
      REQUIRE(c.send(a + b));
      std::string expected = "R:" + a + "R:" + b;
      CHECK(c.receive(expected.size()) == expected);
    }
    REQUIRE(h.inbox.waitFor(6));
    auto items = h.inbox.items();
    for (size_t i = 0; i < items.size(); i += 2) {
      CHECK(items[i].flow.protocol == Protocol::Tcp);
      CHECK(items[i].flow.connection_id != 0);
      CHECK(items[i].flow.connection_id == items[i + 1].flow.connection_id);
      CHECK(items[i].flow.shard == items[i].thread_shard);
      CHECK((items[i].flow.connection_id >> 48) == items[i].flow.shard);
      CHECK(items[i].flow.local.port() == h.port());
    }
    CHECK(items[0].flow.connection_id != items[2].flow.connection_id);
  }
}

TEST_CASE("TCP: replies made while one read is handled all go out, with their done(true)") {
  Harness h(1, {listener(Protocol::Tcp)});
  std::atomic<int> done_ok{0};
  h.on_message = [&h, &done_ok](Inbound& in) {
    h.transports.send(in.flow, "R:" + std::string(in.bytes.get(), in.size), [&done_ok](bool ok) {
      if (ok) {
        ++done_ok;
      }
    });
  };
  REQUIRE(!h.start());
  Client c(SOCK_STREAM, h.port());
  std::string a = sipMessage("c1");
  std::string b = sipMessage("c2", "a body");
  std::string d = sipMessage("c3");
  REQUIRE(c.send(a + b + d));
  std::string expected = "R:" + a + "R:" + b + "R:" + d;
  CHECK(c.receive(expected.size()) == expected);
  CHECK(eventually([&] { return done_ok.load() == 3; }));

  // A framing error later in the same read still lets the earlier reply out first.
  Client e(SOCK_STREAM, h.port());
  std::string good = sipMessage("c4");
  REQUIRE(e.send(good + "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: -4\r\n\r\n"));
  CHECK(e.receive(good.size() + 2) == "R:" + good);
  CHECK(e.waitClosed());
}

TEST_CASE("TCP: a message split over many writes is framed once") {
  Harness h(1, {listener(Protocol::Tcp)});
  REQUIRE(!h.start());
  Client c(SOCK_STREAM, h.port());
  std::string m = sipMessage("split", "body split over writes");
  for (char ch : m) {
    REQUIRE(c.send(std::string_view(&ch, 1)));
  }
  REQUIRE(h.inbox.waitFor(1));
  CHECK(h.inbox.items()[0].bytes == m);
}

TEST_CASE("TCP: send from another thread posts to the owner shard; gone flows fail") {
  // Declared before the harnesses: done callbacks may run while they stop.
  std::atomic<int> done{-1};
  std::atomic<int> late{-1};
  Harness h(3, {listener(Protocol::Tcp)});
  REQUIRE(!h.start());
  auto c = std::make_unique<Client>(SOCK_STREAM, h.port());
  REQUIRE(c->send(sipMessage("x")));
  REQUIRE(h.inbox.waitFor(1));
  Flow flow = h.inbox.items()[0].flow;
  h.transports.send(flow, "async", [&](bool ok) { done = ok; });
  CHECK(c->receive(5) == "async");
  CHECK(eventually([&] { return done.load() == 1; }));

  uint64_t gone = counter("transport.drop.flow_gone");
  c.reset();  // client closes; the server notices EOF
  CHECK(eventually([&] { return h.transports.connectionCount() == 0; }));
  h.transports.send(flow, "late", [&](bool ok) { late = ok; });
  CHECK(eventually([&] { return late.load() == 0; }));
  CHECK(counter("transport.drop.flow_gone") == gone + 1);
}

TEST_CASE("TCP: a flow naming a live connection id with another remote is not used") {
  // Restored flows outlive the process's connection ids; a reused id must not leak traffic
  // to whoever holds that connection now.
  std::atomic<int> done{-1};
  Harness h(1, {listener(Protocol::Tcp)});
  REQUIRE(!h.start());
  Client c(SOCK_STREAM, h.port());
  REQUIRE(c.send(sipMessage("x")));
  REQUIRE(h.inbox.waitFor(1));
  Flow stale = h.inbox.items()[0].flow;
  stale.remote = *Address::fromIpPort("127.0.0.1", 9);
  uint64_t gone = counter("transport.drop.flow_gone");
  h.transports.send(stale, "not for you", [&](bool ok) { done = ok; });
  CHECK(eventually([&] { return done.load() == 0; }));
  CHECK(counter("transport.drop.flow_gone") == gone + 1);
  h.transports.send(h.inbox.items()[0].flow, "yours");
  CHECK(c.receive(5) == "yours");
}

TEST_CASE("TCP: a double-CRLF ping gets a single-CRLF pong") {
  Harness h(1, {listener(Protocol::Tcp)});
  REQUIRE(!h.start());
  uint64_t pings = counter("transport.keepalive.pings_answered");
  Client c(SOCK_STREAM, h.port());
  REQUIRE(c.send("\r\n\r\n"));
  CHECK(c.receive(2) == "\r\n");
  REQUIRE(c.send("\r\n"));  // a pong from the client: no answer
  REQUIRE(c.send(sipMessage("after")));
  REQUIRE(h.inbox.waitFor(1));
  CHECK(counter("transport.keepalive.pings_answered") == pings + 1);
  CHECK(c.receive(1, std::chrono::milliseconds(100)).empty());
}

TEST_CASE("TCP: framing errors close the connection and are counted") {
  Limits limits;
  limits.max_message_size = 512;
  Harness h(1, {listener(Protocol::Tcp)}, limits);
  REQUIRE(!h.start());
  struct Case {
    std::string bytes;
    std::string counter;
  };
  std::vector<Case> cases = {
      {"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 1000\r\n\r\n", "transport.drop.oversize"},
      {"MESSAGE sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n", "transport.drop.no_content_length"},
      {"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: -4\r\n\r\n",
       "transport.drop.bad_content_length"},
      {"MESSAGE sip:a@b SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\n",
       "transport.drop.conflicting_content_length"},
      {std::string(600, '\x01'), "transport.drop.header_too_large"},
  };
  for (const Case& k : cases) {
    CAPTURE(k.counter);
    uint64_t before = counter(k.counter);
    Client c(SOCK_STREAM, h.port());
    REQUIRE(c.send(k.bytes));
    CHECK(c.waitClosed());
    CHECK(eventually([&] { return counter(k.counter) == before + 1; }));
  }
  CHECK(h.inbox.size() == 0);
}

TEST_CASE("TCP: connections per source are limited across shards") {
  Limits limits;
  limits.max_connections_per_source = 2;
  Harness h(3, {listener(Protocol::Tcp)}, limits);
  echoReplies(h);
  REQUIRE(!h.start());
  uint64_t refused = counter("transport.drop.max_connections_per_source");
  Client a(SOCK_STREAM, h.port());
  Client b(SOCK_STREAM, h.port());
  REQUIRE(a.send(sipMessage("a")));  // make sure both are accepted before the third
  REQUIRE(b.send(sipMessage("b")));
  REQUIRE(h.inbox.waitFor(2));
  Client third(SOCK_STREAM, h.port());
  CHECK(third.waitClosed());
  CHECK(counter("transport.drop.max_connections_per_source") == refused + 1);
  CHECK(a.receive(2).substr(0, 2) == "R:");
  CHECK(h.transports.connectionCount() == 2);
  // Closing one frees a place.
  a.close();
  CHECK(eventually([&] { return h.transports.connectionCount() == 1; }));
  Client fourth(SOCK_STREAM, h.port());
  std::string m = sipMessage("fourth");
  REQUIRE(fourth.send(m));
  CHECK(fourth.receive(2 + m.size()) == "R:" + m);
}

TEST_CASE("TCP: the process-wide connection limit") {
  Limits limits;
  limits.max_connections = 1;
  Harness h(2, {listener(Protocol::Tcp)}, limits);
  REQUIRE(!h.start());
  uint64_t refused = counter("transport.drop.max_connections");
  Client a(SOCK_STREAM, h.port());
  REQUIRE(a.send(sipMessage("a")));
  REQUIRE(h.inbox.waitFor(1));
  Client b(SOCK_STREAM, h.port());
  CHECK(b.waitClosed());
  CHECK(counter("transport.drop.max_connections") == refused + 1);
}

TEST_CASE("TCP: idle connections are closed after idle_timeout_ms") {
  Limits limits;
  limits.idle_timeout_ms = 200;
  Harness h(1, {listener(Protocol::Tcp)}, limits);
  REQUIRE(!h.start());
  uint64_t idle = counter("transport.close.idle_timeout");
  auto start = std::chrono::steady_clock::now();
  Client c(SOCK_STREAM, h.port());
  REQUIRE(c.send("\r\n\r\n"));  // traffic restarts the idle clock
  CHECK(c.receive(2) == "\r\n");
  CHECK(c.waitClosed(3s));
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed >= 150ms);
  CHECK(counter("transport.close.idle_timeout") == idle + 1);
}

TEST_CASE("TCP: a message that starts but does not finish in time is cut (slowloris)") {
  Limits limits;
  limits.message_timeout_ms = 200;
  Harness h(1, {listener(Protocol::Tcp)}, limits);
  REQUIRE(!h.start());
  uint64_t slow = counter("transport.drop.message_timeout");
  Client c(SOCK_STREAM, h.port());
  std::string m = sipMessage("slow", "body");
  REQUIRE(c.send(m.substr(0, 20)));
  CHECK(c.waitClosed(3s));
  CHECK(counter("transport.drop.message_timeout") == slow + 1);
  // An idle (not started) connection is not cut by the message timeout.
  Client quiet(SOCK_STREAM, h.port());
  CHECK_FALSE(quiet.waitClosed(400ms));
}

TEST_CASE("TCP: per-source rate limit drops the excess") {
  Limits limits;
  limits.requests_per_second_per_source = 5;
  Harness h(1, {listener(Protocol::Tcp)}, limits);
  REQUIRE(!h.start());
  uint64_t dropped = counter("transport.drop.rate_limit");
  Client c(SOCK_STREAM, h.port());
  std::string burst;
  for (int i = 0; i < 20; ++i) {
    burst += sipMessage("r" + std::to_string(i));
  }
  REQUIRE(c.send(burst));
  CHECK(eventually([&] { return counter("transport.drop.rate_limit") >= dropped + 14; }));
  CHECK(h.inbox.size() >= 5);
  CHECK(h.inbox.size() <= 6);
  // Responses are not limited: they answer our own requests.
  size_t before = h.inbox.size();
  std::string responses;
  for (int i = 0; i < 10; ++i) {
    responses +=
        "SIP/2.0 200 OK\r\nCall-ID: r" + std::to_string(i) + "\r\nContent-Length: 0\r\n\r\n";
  }
  REQUIRE(c.send(responses));
  CHECK(h.inbox.waitFor(before + 10));
}

TEST_CASE("TCP: a peer that does not read is closed once the queue passes the limit") {
  Limits limits;
  limits.max_pending_write_bytes = size_t{64} * 1024;
  // Declared before the harnesses: done callbacks may run while they stop.
  std::atomic<int> done{-1};
  Harness h(1, {listener(Protocol::Tcp)}, limits);
  h.on_message = [&](Inbound& in) {
    h.transports.send(in.flow, std::string(32 << 20, 'z'), [&](bool ok) { done = ok; });
  };
  REQUIRE(!h.start());
  uint64_t slow = counter("transport.drop.slow_reader");
  Client c(SOCK_STREAM, h.port());
  REQUIRE(c.send(sipMessage("flood me")));
  CHECK(eventually([&] { return counter("transport.drop.slow_reader") == slow + 1; }));
  CHECK(eventually([&] { return done.load() == 0; }));
  CHECK(eventually([&] { return h.transports.connectionCount() == 0; }));
}

TEST_CASE("TCP: sendTo reuses one connection; replies come back on it") {
  for (unsigned shard_count : {1u, 3u}) {
    CAPTURE(shard_count);
    // Declared before the harnesses: done callbacks may run while they stop.
    std::atomic<int> ok_count{0};
    std::atomic<int> reconnect_done{-1};
    Harness server(shard_count, {listener(Protocol::Tcp)});
    echoReplies(server);
    REQUIRE(!server.start());
    Harness client(shard_count, {});
    REQUIRE(!client.start());
    auto remote = Address::fromIpPort("127.0.0.1", server.port());
    client.transports.sendTo(Protocol::Tcp, *remote, sipMessage("one"),
                             [&](bool ok) { ok_count += ok; });
    client.transports.sendTo(Protocol::Tcp, *remote, sipMessage("two"),
                             [&](bool ok) { ok_count += ok; });
    REQUIRE(server.inbox.waitFor(2));
    auto items = server.inbox.items();
    CHECK(items[0].bytes == sipMessage("one"));
    CHECK(items[1].bytes == sipMessage("two"));
    CHECK(items[0].flow.connection_id == items[1].flow.connection_id);
    CHECK(eventually([&] { return ok_count.load() == 2; }));
    // The replies travel back on the outbound connection and reach the client's handler.
    REQUIRE(client.inbox.waitFor(2));
    auto replies = client.inbox.items();
    CHECK(replies[0].bytes == "R:" + sipMessage("one"));
    CHECK(replies[0].flow.remote == *remote);
    CHECK(replies[0].flow.connection_id == replies[1].flow.connection_id);
    CHECK(client.transports.connectionCount() == 1);

    // send() on a gone flow with reconnect reaches flow.remote (reusing the live connection).
    Flow stale = replies[0].flow;
    stale.connection_id += 1000;
    client.transports.send(
        stale, sipMessage("three"), [&](bool ok) { reconnect_done = ok; }, true);
    REQUIRE(server.inbox.waitFor(3));
    CHECK(eventually([&] { return reconnect_done.load() == 1; }));
  }
}

TEST_CASE("TCP: sendTo a closed port fails with done(false)") {
  // Declared before the harnesses: done callbacks may run while they stop.
  std::atomic<int> first{-1}, second{-1};
  Harness client(1, {});
  REQUIRE(!client.start());
  // Find a free port by binding and closing.
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) == 0);
  socklen_t len = sizeof(sin);
  REQUIRE(::getsockname(s, reinterpret_cast<sockaddr*>(&sin), &len) == 0);
  ::close(s);
  auto remote = Address::fromIpPort("127.0.0.1", ntohs(sin.sin_port));
  client.transports.sendTo(Protocol::Tcp, *remote, "x", [&](bool ok) { first = ok; });
  client.transports.sendTo(Protocol::Tcp, *remote, "y", [&](bool ok) { second = ok; });
  CHECK(eventually([&] { return first.load() == 0 && second.load() == 0; }));
  CHECK(eventually([&] { return client.transports.connectionCount() == 0; }));
}

TEST_CASE("TCP: stopping the shards closes open connections") {
  Harness h(3, {listener(Protocol::Tcp)});
  REQUIRE(!h.start());
  Client a(SOCK_STREAM, h.port());
  Client b(SOCK_STREAM, h.port());
  REQUIRE(a.send(sipMessage("a")));
  REQUIRE(b.send("MESSAGE sip:x SIP/2.0\r\n"));  // one mid-message
  REQUIRE(h.inbox.waitFor(1));
  CHECK(eventually([&] { return h.transports.connectionCount() == 2; }));
  h.stop();
  CHECK(a.waitClosed());
  CHECK(b.waitClosed());
  CHECK(h.transports.connectionCount() == 0);
}
