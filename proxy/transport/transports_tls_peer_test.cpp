// SPDX-License-Identifier: Apache-2.0
// Federation TLS between two Transports on loopback, with a test PKI: RFC 5922
// server checks on outbound connections (name in subjectAltName, no wildcards,
// known CA), connection reuse per verified name, mutual TLS identities on
// inbound connections, and outbound source addresses bound to the listener IP.
#include <doctest/doctest.h>

#include <atomic>

#include "proxy/transport/tls_test_pki.h"
#include "proxy/transport/transport_test_util.h"

using namespace proxy::transport;
using namespace proxy::transport::test;

namespace {

struct Pki {
  TempDir dir;
  TestIssuer ca = makeTestCa(dir.path(), "ca");
  TestIssuer other_ca = makeTestCa(dir.path(), "other-ca");
  Pki() { REQUIRE((ca.cert && other_ca.cert)); }
  TestLeaf leaf(const std::string& stem, const CertSpec& spec, bool by_other_ca = false) {
    TestLeaf l = makeTestLeaf(by_other_ca ? other_ca : ca, dir.path(), stem, spec);
    REQUIRE(l.cert);
    return l;
  }
};

ListenerConfig tlsListener(const TestLeaf& leaf, std::string address = "127.0.0.1") {
  ListenerConfig c = listener(Protocol::Tls, 0, std::move(address));
  c.certificate_file = leaf.cert_file;
  c.private_key_file = leaf.key_file;
  return c;
}

TlsPeerOptions peerOptions(const Pki& pki, const TestLeaf* client_cert = nullptr,
                           bool request_client_certificates = false) {
  TlsPeerOptions o;
  o.ca_file = pki.ca.cert_file;
  if (client_cert != nullptr) {
    o.client_certificate = client_cert->cert_file;
    o.client_private_key = client_cert->key_file;
  }
  o.request_client_certificates = request_client_certificates;
  return o;
}

void echo(Harness& h) {
  h.on_message = [&h](Inbound& in) {
    h.transports.send(in.flow, "R:" + std::string(in.bytes.get(), in.size));
  };
}

// Waits for a done(ok) result: 1 ok, 0 failed, -1 nothing within the bound.
int waitDone(const std::atomic<int>& done) {
  eventually([&] { return done.load() != -1; });
  return done.load();
}

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("TLS peer: a verified connection carries its name and is reused for that name only") {
  Pki pki;
  TestLeaf b = pki.leaf("b", {"b.test", {"b.test"}, {}});
  std::atomic<int> ok_count{0};
  std::atomic<int> wrong{-1};
  std::atomic<int> again{-1};
  Harness server(1, {tlsListener(b)});
  echo(server);
  REQUIRE(!server.start());
  Harness client(2, {});
  client.transports.setTlsPeerOptions(peerOptions(pki));
  REQUIRE(!client.start());
  auto remote = *Address::fromIpPort("127.0.0.1", server.port());

  client.transports.sendTo(
      Protocol::Tls, remote, sipMessage("one"), [&](bool ok) { ok_count += ok; }, "b.test");
  client.transports.sendTo(
      Protocol::Tls, remote, sipMessage("two"), [&](bool ok) { ok_count += ok; },
      "B.Test");  // same domain
  REQUIRE(server.inbox.waitFor(2));
  REQUIRE(client.inbox.waitFor(2));
  CHECK(eventually([&] { return ok_count.load() == 2; }));
  auto at_server = server.inbox.items();
  CHECK(at_server[0].flow.connection_id == at_server[1].flow.connection_id);
  CHECK(at_server[0].tls_peer_names == nullptr);  // the client presented no certificate
  auto replies = client.inbox.items();
  REQUIRE(replies[0].tls_peer_names != nullptr);
  CHECK(*replies[0].tls_peer_names == Names{"b.test"});
  CHECK(replies[0].tls_peer_names == replies[1].tls_peer_names);  // one per connection
  CHECK(client.transports.connectionCount() == 1);

  // Another name to the same address gets its own connection, which fails the check;
  // the verified one is untouched.
  uint64_t verify_failed = counter("transport.tls.verify_failed");
  client.transports.sendTo(
      Protocol::Tls, remote, sipMessage("wrong"), [&](bool ok) { wrong = ok; }, "c.test");
  CHECK(waitDone(wrong) == 0);
  CHECK(counter("transport.tls.verify_failed") == verify_failed + 1);
  client.transports.sendTo(
      Protocol::Tls, remote, sipMessage("three"), [&](bool ok) { again = ok; }, "b.test");
  CHECK(waitDone(again) == 1);
  REQUIRE(server.inbox.waitFor(3));
  CHECK(server.inbox.items()[2].bytes == sipMessage("three"));
  CHECK(server.inbox.items()[2].flow.connection_id == at_server[0].flow.connection_id);

  // No name: no verification, not the verified connection, no names on replies.
  client.transports.sendTo(Protocol::Tls, remote, sipMessage("plain"));
  REQUIRE(server.inbox.waitFor(4));
  CHECK(server.inbox.items()[3].flow.connection_id != at_server[0].flow.connection_id);
  REQUIRE(client.inbox.waitFor(4));
  CHECK(client.inbox.items()[3].tls_peer_names == nullptr);
  CHECK(client.transports.connectionCount() == 2);
}

TEST_CASE("TLS peer: wrong name, wildcard, unknown CA and CN beside a SAN fail verification") {
  Pki pki;
  struct Case {
    const char* what;
    CertSpec spec;
    bool other_ca;
  };
  const Case cases[] = {
      {"another domain", {"c.test", {"c.test"}, {}}, false},
      {"wildcard", {"*.test", {"*.test"}, {}}, false},
      {"unknown CA", {"b.test", {"b.test"}, {}}, true},
      // RFC 5922 §7.1: the CN counts only when there is no dNSName.
      {"CN beside a dNSName", {"b.test", {"c.test"}, {}}, false},
      {"sip URI of another domain", {"", {}, {"sip:c.test"}}, false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    TestLeaf leaf = pki.leaf("server", c.spec, c.other_ca);
    std::atomic<int> done{-1};
    Harness server(1, {tlsListener(leaf)});
    REQUIRE(!server.start());
    Harness client(1, {});
    client.transports.setTlsPeerOptions(peerOptions(pki));
    REQUIRE(!client.start());
    uint64_t verify_failed = counter("transport.tls.verify_failed");
    auto remote = *Address::fromIpPort("127.0.0.1", server.port());
    client.transports.sendTo(
        Protocol::Tls, remote, sipMessage("x"), [&](bool ok) { done = ok; }, "b.test");
    CHECK(waitDone(done) == 0);
    CHECK(counter("transport.tls.verify_failed") == verify_failed + 1);
    CHECK(eventually([&] { return client.transports.connectionCount() == 0; }));
    CHECK(server.inbox.size() == 0);
  }
}

TEST_CASE("TLS peer: CN-only and sip: URI certificates verify (RFC 5922 §7.1)") {
  Pki pki;
  const CertSpec specs[] = {{"b.test", {}, {}}, {"", {}, {"sip:B.test"}}};
  for (const CertSpec& spec : specs) {
    TestLeaf leaf = pki.leaf("server", spec);
    std::atomic<int> done{-1};
    Harness server(1, {tlsListener(leaf)});
    REQUIRE(!server.start());
    Harness client(1, {});
    client.transports.setTlsPeerOptions(peerOptions(pki));
    REQUIRE(!client.start());
    auto remote = *Address::fromIpPort("127.0.0.1", server.port());
    client.transports.sendTo(
        Protocol::Tls, remote, sipMessage("x"), [&](bool ok) { done = ok; }, "b.test");
    CHECK(waitDone(done) == 1);
    CHECK(server.inbox.waitFor(1));
  }
}

TEST_CASE("TLS peer: mutual TLS gives inbound messages the client's verified domains") {
  Pki pki;
  TestLeaf b = pki.leaf("b", {"b.test", {"b.test"}, {}});
  TestLeaf a = pki.leaf("a", {"ignored-cn.test", {"A.test"}, {"sip:a.test"}});
  TestLeaf a_cn = pki.leaf("a-cn", {"A.Test", {}, {}});
  TestLeaf a_foreign = pki.leaf("a-foreign", {"a.test", {"a.test"}, {}}, true);
  struct Case {
    const char* what;
    const TestLeaf* cert;
    std::optional<Names> names;
    bool unverified;
  };
  const Case cases[] = {
      {"SAN certificate", &a, Names{"a.test"}, false},
      {"CN-only certificate", &a_cn, Names{"a.test"}, false},
      {"no certificate", nullptr, std::nullopt, false},
      {"certificate of an unknown CA", &a_foreign, std::nullopt, true},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    std::atomic<int> done{-1};
    Harness server(2, {tlsListener(b)});
    server.transports.setTlsPeerOptions(peerOptions(pki, nullptr, true));
    echo(server);
    REQUIRE(!server.start());
    Harness client(1, {});
    client.transports.setTlsPeerOptions(peerOptions(pki, c.cert));
    REQUIRE(!client.start());
    uint64_t unverified = counter("transport.tls.client_cert_unverified");
    auto remote = *Address::fromIpPort("127.0.0.1", server.port());
    client.transports.sendTo(
        Protocol::Tls, remote, sipMessage("m"), [&](bool ok) { done = ok; }, "b.test");
    CHECK(waitDone(done) == 1);
    REQUIRE(server.inbox.waitFor(1));
    auto names = server.inbox.items()[0].tls_peer_names;
    if (c.names) {
      REQUIRE(names != nullptr);
      CHECK(*names == *c.names);
    } else {
      CHECK(names == nullptr);
    }
    CHECK(counter("transport.tls.client_cert_unverified") == unverified + (c.unverified ? 1 : 0));
    REQUIRE(client.inbox.waitFor(1));  // the reply went back over the same connection
    CHECK(client.inbox.items()[0].bytes == "R:" + sipMessage("m"));
  }
}

TEST_CASE("TLS peer: outbound TCP and TLS leave from the listener's IP") {
  Pki pki;
  TestLeaf b = pki.leaf("b", {"b.test", {"b.test"}, {}});
  Harness server(1, {listener(Protocol::Tcp), tlsListener(b)});
  REQUIRE(!server.start());
  // 127.0.0.2 is loopback too on Linux (127/8).
  Harness client(2, {listener(Protocol::Tcp, 0, "127.0.0.2"), tlsListener(b, "127.0.0.2")});
  client.transports.setTlsPeerOptions(peerOptions(pki));
  REQUIRE(!client.start());
  client.transports.sendTo(Protocol::Tcp, *Address::fromIpPort("127.0.0.1", server.port(0)),
                           sipMessage("tcp"));
  REQUIRE(server.inbox.waitFor(1));
  client.transports.sendTo(Protocol::Tls, *Address::fromIpPort("127.0.0.1", server.port(1)),
                           sipMessage("tls"), {}, "b.test");
  REQUIRE(server.inbox.waitFor(2));
  auto items = server.inbox.items();
  for (const auto& item : items) {
    CAPTURE(item.bytes);
    CHECK(item.flow.remote.ip() == "127.0.0.2");
    CHECK(item.flow.remote.port() != client.port(0));  // ephemeral, not the listener's port
    CHECK(item.flow.remote.port() != client.port(1));
  }
  CHECK(items[0].flow.protocol == Protocol::Tcp);
  CHECK(items[1].flow.protocol == Protocol::Tls);
  CHECK(client.transports.connectionCount() == 2);

  // No listener of that protocol on a specific address: the kernel picks (127.0.0.1).
  Harness plain(1, {listener(Protocol::Tcp, 0, "0.0.0.0")});
  REQUIRE(!plain.start());
  plain.transports.sendTo(Protocol::Tcp, *Address::fromIpPort("127.0.0.1", server.port(0)),
                          sipMessage("wildcard"));
  REQUIRE(server.inbox.waitFor(3));
  CHECK(server.inbox.items()[2].flow.remote.ip() == "127.0.0.1");
}

TEST_CASE("TLS peer: bind() reports files it cannot load") {
  Pki pki;
  TestLeaf b = pki.leaf("b", {"b.test", {"b.test"}, {}});
  SUBCASE("CA file") {
    Harness h(1, {});
    TlsPeerOptions o;
    o.ca_file = pki.dir.path() + "/missing-ca.pem";
    h.transports.setTlsPeerOptions(o);
    auto error = h.start();
    REQUIRE(error);
    CHECK(error->find("cannot load federation CA file " + o.ca_file + ": ") == 0);
  }
  SUBCASE("CA file for client certificates on a listener") {
    Harness h(1, {tlsListener(b)});
    TlsPeerOptions o;
    o.ca_file = b.key_file;  // not a certificate
    o.request_client_certificates = true;
    h.transports.setTlsPeerOptions(o);
    auto error = h.start();
    REQUIRE(error);
    CHECK(error->find("cannot load federation CA file") == 0);
  }
  SUBCASE("client certificate") {
    Harness h(1, {});
    TlsPeerOptions o = peerOptions(pki);
    o.client_certificate = pki.dir.path() + "/missing.crt";
    o.client_private_key = b.key_file;
    h.transports.setTlsPeerOptions(o);
    auto error = h.start();
    REQUIRE(error);
    CHECK(error->find("cannot load federation client certificate") == 0);
  }
  SUBCASE("key of another certificate") {
    TestLeaf other = pki.leaf("other", {"o.test", {"o.test"}, {}});
    Harness h(1, {});
    TlsPeerOptions o = peerOptions(pki);
    o.client_certificate = b.cert_file;
    o.client_private_key = other.key_file;
    h.transports.setTlsPeerOptions(o);
    auto error = h.start();
    REQUIRE(error);
    CAPTURE(*error);
    CHECK(error->find("federation client key " + other.key_file) != std::string::npos);
  }
}
