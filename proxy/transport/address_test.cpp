// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <unordered_set>

#include "proxy/transport/transport.h"

using namespace proxy::transport;

TEST_CASE("Address: IPv4 and IPv6 literals") {
  auto v4 = Address::fromIpPort("192.0.2.1", 5060);
  REQUIRE(v4);
  CHECK(v4->family() == AF_INET);
  CHECK(v4->ip() == "192.0.2.1");
  CHECK(v4->port() == 5060);
  CHECK(v4->toString() == "192.0.2.1:5060");
  CHECK(v4->length() == sizeof(sockaddr_in));

  auto v6 = Address::fromIpPort("2001:db8::1", 5061);
  REQUIRE(v6);
  CHECK(v6->family() == AF_INET6);
  CHECK(v6->ip() == "2001:db8::1");
  CHECK(v6->toString() == "[2001:db8::1]:5061");
  auto bracketed = Address::fromIpPort("[2001:db8::1]", 5061);
  REQUIRE(bracketed);
  CHECK(*bracketed == *v6);
}

TEST_CASE("Address: bad input is refused") {
  CHECK_FALSE(Address::fromIpPort("", 1));
  CHECK_FALSE(Address::fromIpPort("example.test", 1));
  CHECK_FALSE(Address::fromIpPort("256.1.1.1", 1));
  CHECK_FALSE(Address::fromIpPort("1.2.3", 1));
  CHECK_FALSE(Address::fromIpPort(std::string(100, '1'), 1));
  CHECK_FALSE(Address::parse("1.2.3.4"));
  CHECK_FALSE(Address::parse("1.2.3.4:"));
  CHECK_FALSE(Address::parse("1.2.3.4:65536"));
  CHECK_FALSE(Address::parse("1.2.3.4:-1"));
  CHECK_FALSE(Address::parse("::1:5060"));  // unbracketed IPv6 with a port is ambiguous
}

TEST_CASE("Address: parse round-trips toString, equality and hash") {
  for (std::string text : {"127.0.0.1:5060", "[::1]:5061", "[fe80::1]:0", "10.0.0.255:65535"}) {
    auto a = Address::parse(text);
    REQUIRE(a);
    CHECK(a->toString() == text);
    auto b = Address::fromSockaddr(a->raw());
    REQUIRE(b);
    CHECK(*a == *b);
    CHECK(a->hash() == b->hash());
  }
  CHECK_FALSE(*Address::parse("127.0.0.1:5060") == *Address::parse("127.0.0.1:5061"));
  CHECK_FALSE(*Address::parse("127.0.0.1:5060") == *Address::parse("127.0.0.2:5060"));
  CHECK_FALSE(*Address::parse("[::1]:5060") == *Address::parse("127.0.0.1:5060"));
  std::unordered_set<Address, AddressHash> set;
  set.insert(*Address::parse("127.0.0.1:1"));
  set.insert(*Address::parse("127.0.0.1:1"));
  set.insert(*Address::parse("[::1]:1"));
  CHECK(set.size() == 2);
  sockaddr unix_addr{};
  unix_addr.sa_family = AF_UNIX;
  CHECK_FALSE(Address::fromSockaddr(&unix_addr));
  CHECK_FALSE(Address::fromSockaddr(nullptr));
}

TEST_CASE("Flow: token round-trip") {
  Flow f;
  f.protocol = Protocol::Tls;
  f.remote = *Address::parse("[2001:db8::7]:40000");
  f.shard = 2;
  f.connection_id = (uint64_t{2} << 48) | 17;
  std::string token = f.token();
  CHECK(token == "tls/2/" + std::to_string(f.connection_id) + "/[2001:db8::7]:40000");
  auto back = Flow::fromToken(token);
  REQUIRE(back);
  CHECK(back->protocol == Protocol::Tls);
  CHECK(back->remote == f.remote);
  CHECK(back->shard == 2);
  CHECK(back->connection_id == f.connection_id);

  Flow u;
  u.remote = *Address::parse("192.0.2.9:5060");
  CHECK(u.token() == "udp/0/0/192.0.2.9:5060");
  auto ub = Flow::fromToken(u.token());
  REQUIRE(ub);
  CHECK(ub->protocol == Protocol::Udp);
  CHECK(ub->remote == u.remote);
}

TEST_CASE("Flow: tokens at the limits of every field") {
  Flow f;
  f.protocol = Protocol::Tcp;
  f.remote = *Address::parse("[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535");
  f.shard = 4294967295u;
  f.connection_id = UINT64_MAX;
  CHECK(f.token() ==
        "tcp/4294967295/18446744073709551615/[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
  Flow v4;
  v4.remote = *Address::parse("0.0.0.0:0");
  CHECK(v4.token() == "udp/0/0/0.0.0.0:0");
  v4.remote = *Address::parse("255.255.255.255:65535");
  CHECK(v4.token() == "udp/0/0/255.255.255.255:65535");
  CHECK(v4.remote.ip() == "255.255.255.255");
  CHECK(Address{}.toString() == ":0");  // unset: no IP, port 0
}

TEST_CASE("Flow: stays small enough to copy per message") {
  // Two addresses of sockaddr_in6 size, not sockaddr_storage (128 bytes each).
  CHECK(sizeof(Address) == sizeof(sockaddr_in6));
  CHECK(sizeof(Flow) <= 80);
}

TEST_CASE("Flow: malformed tokens are refused") {
  for (std::string bad :
       {"", "tcp", "tcp/1/2", "xyz/0/1/1.2.3.4:5", "tcp/a/1/1.2.3.4:5", "tcp/0/1/host:5",
        "tcp/0/1/1.2.3.4", "udp/0/5/1.2.3.4:5", "tcp/0/0/1.2.3.4:5", "tcp/-1/1/1.2.3.4:5"}) {
    CHECK_MESSAGE(!Flow::fromToken(bad), bad);
  }
  CHECK(protocolName(Protocol::Udp) == "UDP");
  CHECK(protocolName(Protocol::Tcp) == "TCP");
  CHECK(protocolName(Protocol::Tls) == "TLS");
}
