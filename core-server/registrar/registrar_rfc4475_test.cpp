// SPDX-License-Identifier: Apache-2.0
// RFC 4475 torture messages that a registrar must handle (§3.3.4, §3.3.7,
// §3.3.12-14), read from the shared corpus.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "core-server/registrar/registrar.h"
#include "core-server/registrar/registrar_testing.h"

namespace core::registrar {
namespace {

using namespace testing;
using sip::HeaderName;

std::string corpus(std::string_view name) {
  const std::string path =
      std::string(CONFAB_SHARED_DIR) + "/conformance/rfc4475/" + std::string(name) + ".dat";
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing corpus file " << path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

RegistrarOptions exampleCom(bool challenge) {
  RegistrarOptions o;
  o.challenge_register = challenge;
  o.is_local_domain = [](std::string_view host) { return host == "example.com"; };
  return o;
}

AuthOptions exampleComAuth() {
  AuthOptions a;
  a.realm = "example.com";
  return a;
}

TEST_CASE("cparam01: unknownparam is a contact-param, not part of the bound URI") {
  Harness h(exampleCom(false), exampleComAuth());
  h.send(corpus("cparam01"));
  auto r = h.last();
  REQUIRE(r.statusCode() == 200);
  auto list = h.location.lookup("watson@example.com");
  REQUIRE(list.size() == 1);
  CHECK(list[0]->contact == "sip:+19725552222@gw1.example.net");
  CHECK(list[0]->params == "unknownparam");
  REQUIRE(r.count(HeaderName::Contact) == 1);
  CHECK(r.header(HeaderName::Contact) ==
        "<sip:+19725552222@gw1.example.net>;unknownparam;expires=3600");
  auto contact = sip::NameAddr::parse(r.header(HeaderName::Contact));
  REQUIRE(contact);
  CHECK(contact->uri().param("unknownparam") == nullptr);
  CHECK(contact->param("unknownparam") != nullptr);
}

TEST_CASE("cparam02: unknownparam is a url-parameter of the binding") {
  Harness h(exampleCom(false), exampleComAuth());
  h.send(corpus("cparam02"));
  REQUIRE(h.last().statusCode() == 200);
  auto list = h.location.lookup("watson@example.com");
  REQUIRE(list.size() == 1);
  CHECK(list[0]->contact == "sip:+19725552222@gw1.example.net;unknownparam");
  CHECK(list[0]->params.empty());
  // A later fetch still shows it inside the URI.
  Reg fetch;
  fetch.user = "watson";
  fetch.ruri = "sip:example.com";
  std::string text = fetch.text();
  while (text.find("example.test") != std::string::npos) {
    text.replace(text.find("example.test"), 12, "example.com");
  }
  h.send(text);
  auto r = h.last();
  REQUIRE(r.statusCode() == 200);
  CHECK(r.header(HeaderName::Contact) ==
        "<sip:+19725552222@gw1.example.net;unknownparam>;expires=3600");
  auto contact = sip::NameAddr::parse(r.header(HeaderName::Contact));
  REQUIRE(contact);
  CHECK(contact->uri().param("unknownparam") != nullptr);
}

TEST_CASE("cparam01 then cparam02: equivalent URIs (RFC 3261 §19.1.4) share one binding") {
  Harness h(exampleCom(false), exampleComAuth());
  h.send(corpus("cparam01"));
  h.send(corpus("cparam02"));
  REQUIRE(h.last().statusCode() == 200);
  auto list = h.location.lookup("watson@example.com");
  REQUIRE(list.size() == 1);
  CHECK(list[0]->contact == "sip:+19725552222@gw1.example.net;unknownparam");
  auto stored = h.store.loadBindings();
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].contact == "sip:+19725552222@gw1.example.net;unknownparam");
}

TEST_CASE("regescrt: the escaped Route header stays in the bound Contact URI") {
  Harness h(exampleCom(false), exampleComAuth());
  h.send(corpus("regescrt"));
  auto r = h.last();
  REQUIRE(r.statusCode() == 200);
  auto list = h.location.lookup("user@example.com");
  REQUIRE(list.size() == 1);
  CHECK(list[0]->contact == "sip:user@example.com?Route=%3Csip:sip.example.com%3E");
  CHECK(r.header(HeaderName::Contact) ==
        "<sip:user@example.com?Route=%3Csip:sip.example.com%3E>;expires=3600");
  auto contact = sip::NameAddr::parse(r.header(HeaderName::Contact));
  REQUIRE(contact);
  CHECK(contact->uri().headers() == "Route=%3Csip:sip.example.com%3E");
}

TEST_CASE("regaut01: an unknown Authorization scheme is ignored and challenged") {
  Harness h(exampleCom(true), exampleComAuth());
  h.send(corpus("regaut01"));
  auto r = h.last();
  CHECK(r.statusCode() == 401);
  CHECK(r.count(HeaderName::WwwAuthenticate) == 2);
  CHECK(h.location.size() == 0);
}

TEST_CASE("unksm2: a To that is not a SIP URI gets 400, even when challenging") {
  for (bool challenge : {false, true}) {
    Harness h(exampleCom(challenge), exampleComAuth());
    h.send(corpus("unksm2"));
    CHECK(h.last().statusCode() == 400);
    CHECK(h.last().reasonPhrase() == "To must be a SIP URI");
  }
}

}  // namespace
}  // namespace core::registrar
