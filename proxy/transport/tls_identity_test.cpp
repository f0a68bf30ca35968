// SPDX-License-Identifier: Apache-2.0
#include "proxy/transport/tls_identity.h"

#include <doctest/doctest.h>

#include "proxy/transport/tls_test_pki.h"
#include "proxy/transport/transport_test_util.h"

using namespace proxy::transport;
using namespace proxy::transport::test;

namespace {
using Names = std::vector<std::string>;

Names identitiesOf(const CertSpec& spec) {
  TempDir dir;
  TestIssuer ca = makeTestCa(dir.path(), "ca");
  TestLeaf leaf = makeTestLeaf(ca, dir.path(), "leaf", spec);
  REQUIRE(leaf.cert);
  return sipDomainIdentities(leaf.cert.get());
}
}  // namespace

TEST_CASE("RFC 5922 identities: dNSNames and sip: URIs, lowercased, without wildcards") {
  CHECK(identitiesOf({"cn.test", {"B.Test", "*.test", "b.test", "c.test"}, {}}) ==
        Names{"b.test", "c.test"});
  CHECK(identitiesOf({"",
                      {"a.test"},
                      {"sip:A.test", "sips:s.test", "sip:u@u.test", "sip:p.test:5061",
                       "http://h.test"}}) == Names{"a.test"});
  CHECK(identitiesOf({"", {}, {"sip:uri.test"}}) == Names{"uri.test"});
}

TEST_CASE("RFC 5922 identities: the CN only when there is no dNSName") {
  CHECK(identitiesOf({"Only.CN.test", {}, {}}) == Names{"only.cn.test"});
  CHECK(identitiesOf({"cn.test", {}, {"sip:uri.test"}}) == Names{"uri.test", "cn.test"});
  CHECK(identitiesOf({"cn.test", {"dns.test"}, {}}) == Names{"dns.test"});
  CHECK(identitiesOf({"*.test", {}, {}}).empty());
  CHECK(identitiesOf({"not a domain", {}, {}}).empty());
  CHECK(identitiesOf({"", {}, {}}).empty());
  CHECK(sipDomainIdentities(nullptr).empty());
}
