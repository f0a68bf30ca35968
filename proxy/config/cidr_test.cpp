// SPDX-License-Identifier: Apache-2.0
#include "proxy/config/cidr.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>

namespace proxy::config {
namespace {

Cidr mustParse(std::string_view text) {
  auto cidr = Cidr::parse(text);
  REQUIRE_MESSAGE(cidr.ok(), text);
  return *cidr;
}

}  // namespace

TEST_CASE("IPv4 networks") {
  const Cidr net = mustParse("10.0.0.0/8");
  CHECK(net.text() == "10.0.0.0/8");
  CHECK(net.family() == AF_INET);
  CHECK(net.prefixLength() == 8);
  CHECK(net.contains("10.0.0.1"));
  CHECK(net.contains("10.255.255.255"));
  CHECK_FALSE(net.contains("11.0.0.1"));
  CHECK_FALSE(net.contains("9.255.255.255"));
  CHECK_FALSE(net.contains("not an address"));
  CHECK_FALSE(net.contains("::1"));

  const Cidr odd = mustParse("192.168.4.0/22");  // a prefix that ends mid-byte
  CHECK(odd.contains("192.168.7.200"));
  CHECK_FALSE(odd.contains("192.168.8.1"));
  CHECK_FALSE(odd.contains("192.168.3.255"));

  CHECK(mustParse("0.0.0.0/0").contains("203.0.113.9"));
  const Cidr host = mustParse("203.0.113.9");
  CHECK(host.prefixLength() == 32);
  CHECK(host.contains("203.0.113.9"));
  CHECK_FALSE(host.contains("203.0.113.8"));
}

TEST_CASE("IPv6 networks, and IPv4-mapped addresses match IPv4 networks") {
  const Cidr net = mustParse("fd00::/8");
  CHECK(net.family() == AF_INET6);
  CHECK(net.contains("fd12:3456::1"));
  CHECK_FALSE(net.contains("fe80::1"));
  CHECK_FALSE(net.contains("10.0.0.1"));
  CHECK(mustParse("2001:db8::/33").contains("2001:db8:7fff::1"));
  CHECK_FALSE(mustParse("2001:db8::/33").contains("2001:db8:8000::1"));
  CHECK(mustParse("::1").contains("::1"));

  CHECK(mustParse("10.0.0.0/8").contains("::ffff:10.1.2.3"));
  CHECK_FALSE(mustParse("10.0.0.0/8").contains("::ffff:11.1.2.3"));
}

TEST_CASE("contains() takes socket addresses") {
  const Cidr v4 = mustParse("127.0.0.0/8");
  const Cidr v6 = mustParse("2001:db8::/32");
  sockaddr_in in4{};
  in4.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.53", &in4.sin_addr);
  CHECK(v4.contains(reinterpret_cast<const sockaddr*>(&in4)));
  CHECK_FALSE(v6.contains(reinterpret_cast<const sockaddr*>(&in4)));

  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "2001:db8::42", &in6.sin6_addr);
  CHECK(v6.contains(reinterpret_cast<const sockaddr*>(&in6)));
  CHECK_FALSE(v4.contains(reinterpret_cast<const sockaddr*>(&in6)));
  inet_pton(AF_INET6, "::ffff:127.0.0.1", &in6.sin6_addr);
  CHECK(v4.contains(reinterpret_cast<const sockaddr*>(&in6)));
  CHECK_FALSE(v4.contains(nullptr));
}

TEST_CASE("malformed networks say what was expected") {
  CHECK(Cidr::parse("10.0.0/8").error().detail ==
        "expected a network such as 10.0.0.0/8 or fd00::/8, got \"10.0.0/8\"");
  CHECK(Cidr::parse("10.0.0.0/33").error().detail ==
        "expected a prefix length 0-32 after '/', got \"10.0.0.0/33\"");
  CHECK(Cidr::parse("fd00::/129").error().detail ==
        "expected a prefix length 0-128 after '/', got \"fd00::/129\"");
  CHECK(Cidr::parse("10.0.0.0/").error().detail ==
        "expected a prefix length 0-32 after '/', got \"10.0.0.0/\"");
  CHECK(Cidr::parse("192.168.1.0/16").error().detail ==
        "\"192.168.1.0/16\" has host bits set (did you mean \"192.168.0.0/16\"?)");
  CHECK_FALSE(Cidr::parse("").ok());
}

}  // namespace proxy::config
