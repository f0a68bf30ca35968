// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/registrar.h"

#include <doctest/doctest.h>

#include "core-server/registrar/register_response.h"
#include "core-server/registrar/registrar_testing.h"
#include "proxy/base/counters.h"

namespace core::registrar {
namespace {

using namespace testing;
using sip::HeaderName;

RegistrarOptions noAuth() {
  RegistrarOptions o;
  o.challenge_register = false;
  return o;
}

std::vector<std::string> contactsOf(const sip::SipMessage& msg) {
  std::vector<std::string> out;
  for (auto v : msg.headers(HeaderName::Contact)) {
    out.emplace_back(v);
  }
  return out;
}

Reg reg(std::vector<std::string> contacts, uint32_t cseq = 1, std::string call_id = "call-1") {
  Reg r;
  r.contacts = std::move(contacts);
  r.cseq = cseq;
  r.call_id = std::move(call_id);
  return r;
}

Reg withExtra(Reg r, std::string line) {
  r.extra.push_back(std::move(line));
  return r;
}

TEST_CASE("an unauthenticated REGISTER is challenged with SHA-256 then MD5") {
  Harness h;
  CHECK(h.send(reg({"<sip:alice@192.0.2.10>"}).text()) == 1);
  auto r = h.last();
  CHECK(r.statusCode() == 401);
  CHECK_FALSE(r.to()->tag().empty());
  auto challenges = r.headers(HeaderName::WwwAuthenticate);
  REQUIRE(challenges.size() == 2);
  CHECK(parseChallenge(challenges[0]).algorithm == "SHA-256");
  CHECK(parseChallenge(challenges[1]).algorithm == "MD5");
  CHECK(h.location.size() == 0);
}

TEST_CASE("full digest exchanges register with SHA-256 and with MD5") {
  for (const char* alg : {"SHA-256", "MD5"}) {
    CAPTURE(alg);
    Harness h;
    auto r = h.registerAuthenticated(reg({"<sip:alice@192.0.2.10:5062>"}), "secret", alg);
    REQUIRE(r.statusCode() == 200);
    CHECK_FALSE(r.to()->tag().empty());
    CHECK(contactsOf(r) == std::vector<std::string>{"<sip:alice@192.0.2.10:5062>;expires=3600"});
    CHECK(r.header(HeaderName::Expires) == "3600");
    CHECK(r.header(HeaderName::Date) == "Tue, 14 Nov 2023 22:13:20 GMT");
    auto list = h.location.lookup("alice@example.test");
    REQUIRE(list.size() == 1);
    CHECK(list[0]->flow_token == testFlow().token());
    CHECK(h.store.loadBindings().size() == 1);
  }
}

TEST_CASE("a wrong password gets a fresh 401 and is counted") {
  Harness h;
  const uint64_t before = proxy::counters::get("auth.failed").value();
  auto r = h.registerAuthenticated(reg({"<sip:alice@192.0.2.10>"}), "not-the-password");
  CHECK(r.statusCode() == 401);
  CHECK_FALSE(parseChallenge(r.headers(HeaderName::WwwAuthenticate)[0]).stale);
  CHECK(proxy::counters::get("auth.failed").value() == before + 1);
  CHECK(h.location.size() == 0);
}

TEST_CASE("a nonce past its lifetime gets stale=true, and the retry succeeds") {
  Harness h;
  Reg r = reg({"<sip:alice@192.0.2.10>"});
  h.send(r.text());
  ParsedChallenge c = parseChallenge(h.last().headers(HeaderName::WwwAuthenticate)[0]);
  h.clock.advanceMs(301'000);
  r.cseq = 2;
  r.extra = {"Authorization: " + answer(c, "alice", "secret", "REGISTER", r.ruri, 1)};
  h.send(r.text());
  auto stale = h.last();
  REQUIRE(stale.statusCode() == 401);
  ParsedChallenge fresh = parseChallenge(stale.headers(HeaderName::WwwAuthenticate)[0]);
  CHECK(fresh.stale);
  r.cseq = 3;
  r.extra = {"Authorization: " + answer(fresh, "alice", "secret", "REGISTER", r.ruri, 1)};
  h.send(r.text());
  CHECK(h.last().statusCode() == 200);
}

TEST_CASE("a replayed Authorization is not accepted twice") {
  Harness h;
  Reg r = reg({"<sip:alice@192.0.2.10>"});
  h.send(r.text());
  ParsedChallenge c = parseChallenge(h.last().headers(HeaderName::WwwAuthenticate)[0]);
  r.cseq = 2;
  r.extra = {"Authorization: " + answer(c, "alice", "secret", "REGISTER", r.ruri, 1)};
  h.send(r.text());
  CHECK(h.last().statusCode() == 200);
  r.cseq = 3;  // an attacker replays the header on a new request
  h.send(r.text());
  CHECK(h.last().statusCode() == 401);
}

TEST_CASE("registering another user's AOR is forbidden") {
  Harness h;
  Reg r = reg({"<sip:bob@192.0.2.10>"});  // To alice
  h.send(r.text());
  ParsedChallenge c = parseChallenge(h.last().headers(HeaderName::WwwAuthenticate)[0]);
  r.cseq = 2;
  r.extra = {"Authorization: " + answer(c, "bob", "hunter2", "REGISTER", r.ruri, 1)};
  h.send(r.text());
  CHECK(h.last().statusCode() == 403);
  CHECK(h.location.size() == 0);
}

TEST_CASE("trusted sources and challenge_register=false skip authentication") {
  AuthOptions trusting = Harness::defaultAuth();
  trusting.is_trusted = [](const proxy::transport::Address& a) { return a.ip() == "10.1.1.1"; };
  Harness h({}, trusting);
  h.send(reg({"<sip:alice@10.1.1.1>"}).text(), testFlow("10.1.1.1"));
  CHECK(h.last().statusCode() == 200);
  h.send(reg({"<sip:alice@10.1.1.2>"}, 2).text(), testFlow("10.1.1.2"));
  CHECK(h.last().statusCode() == 401);

  Harness open(noAuth());
  open.send(reg({"<sip:alice@192.0.2.10>"}).text());
  CHECK(open.last().statusCode() == 200);
}

TEST_CASE("expiry: default, Expires header, contact param, clamping, 423") {
  Harness h(noAuth());
  h.send(reg({"<sip:a@192.0.2.10>"}).text());
  CHECK(h.last().header(HeaderName::Expires) == "3600");

  h.send(withExtra(reg({"<sip:a@192.0.2.10>"}, 2), "Expires: 120").text());
  CHECK(h.last().header(HeaderName::Expires) == "120");
  CHECK(contactsOf(h.last()) == std::vector<std::string>{"<sip:a@192.0.2.10>;expires=120"});

  h.send(withExtra(reg({"<sip:a@192.0.2.10>;expires=300"}, 3), "Expires: 120").text());
  CHECK(h.last().header(HeaderName::Expires) == "300");

  h.send(withExtra(reg({"<sip:a@192.0.2.10>"}, 4), "Expires: 99999").text());
  CHECK(h.last().header(HeaderName::Expires) == "3600");

  h.send(withExtra(reg({"<sip:a@192.0.2.10>"}, 5), "Expires: 99999999999999").text());
  CHECK(h.last().header(HeaderName::Expires) == "3600");  // > 2^32-1 saturates, then clamps

  h.send(withExtra(reg({"<sip:a@192.0.2.10>"}, 6), "Expires: 30").text());
  CHECK(h.last().statusCode() == 423);
  CHECK(h.last().header(HeaderName::MinExpires) == "60");
  h.send(reg({"<sip:a@192.0.2.10>;expires=59"}, 7).text());
  CHECK(h.last().statusCode() == 423);
  CHECK(h.location.lookup("alice@example.test")[0]->expires_at == h.clock.unixSeconds() + 3600);

  h.send(reg({"<sip:a@192.0.2.10>;expires=soon"}, 8).text());
  CHECK(h.last().statusCode() == 400);
  h.send(withExtra(reg({"<sip:a@192.0.2.10>"}, 9), "Expires: -1").text());
  CHECK(h.last().statusCode() == 400);
}

TEST_CASE("expires=0 removes one binding; removing an unknown one is a no-op 200") {
  Harness h(noAuth());
  h.send(reg({"<sip:a@192.0.2.10>", "<sip:b@192.0.2.10>"}).text());
  CHECK(h.location.lookup("alice@example.test").size() == 2);
  h.send(reg({"<sip:a@192.0.2.10>;expires=0"}, 2).text());
  CHECK(h.last().statusCode() == 200);
  CHECK(h.last().header(HeaderName::Expires) == "0");
  CHECK(contactsOf(h.last()) == std::vector<std::string>{"<sip:b@192.0.2.10>;expires=3600"});
  CHECK(h.store.loadBindings().size() == 1);
  h.send(withExtra(reg({"<sip:zz@192.0.2.10>"}, 3), "Expires: 0").text());
  CHECK(h.last().statusCode() == 200);
  CHECK(h.location.lookup("alice@example.test").size() == 1);
}

TEST_CASE("Contact: * with Expires: 0 removes every binding; misuse is a 400") {
  Harness h(noAuth());
  h.send(reg({"<sip:a@192.0.2.10>", "<sip:b@192.0.2.10>"}).text());
  h.send(reg({"*"}, 2).text());
  CHECK(h.last().statusCode() == 400);
  h.send(withExtra(reg({"*"}, 3), "Expires: 30").text());
  CHECK(h.last().statusCode() == 400);
  h.send(withExtra(reg({"*", "<sip:c@192.0.2.10>"}, 4), "Expires: 0").text());
  CHECK(h.last().statusCode() == 400);
  CHECK(h.location.lookup("alice@example.test").size() == 2);

  h.send(withExtra(reg({"*"}, 5), "Expires: 0").text());
  CHECK(h.last().statusCode() == 200);
  CHECK(contactsOf(h.last()).empty());
  CHECK(h.location.size() == 0);
  CHECK(h.store.loadBindings().empty());
}

TEST_CASE("Call-ID and CSeq ordering (RFC 3261 §10.3 step 7)") {
  Harness h(noAuth());
  h.send(reg({"<sip:a@192.0.2.10>"}, 10, "cid-A").text());
  h.send(reg({"<sip:a@192.0.2.10>"}, 10, "cid-A").text());
  CHECK(h.last().statusCode() == 500);
  CHECK(h.last().reasonPhrase() == "Out of order");
  h.send(reg({"<sip:a@192.0.2.10>"}, 9, "cid-A").text());
  CHECK(h.last().statusCode() == 500);
  h.send(withExtra(reg({"*"}, 10, "cid-A"), "Expires: 0").text());
  CHECK(h.last().statusCode() == 500);
  h.send(reg({"<sip:a@192.0.2.10>"}, 11, "cid-A").text());
  CHECK(h.last().statusCode() == 200);
  // Another Call-ID (the UA rebooted) may use any CSeq.
  h.send(reg({"<sip:a@192.0.2.10>;expires=600"}, 1, "cid-B").text());
  CHECK(h.last().statusCode() == 200);
  auto list = h.location.lookup("alice@example.test");
  REQUIRE(list.size() == 1);
  CHECK(list[0]->call_id == "cid-B");
  CHECK(list[0]->cseq == 1);
}

TEST_CASE("several bindings per AOR are listed by q, and all are returned") {
  Harness h(noAuth());
  h.send(reg({"<sip:low@192.0.2.10>;q=0.1"}).text());
  h.send(reg({"<sip:high@192.0.2.11>;q=0.9"}, 2).text());
  h.send(reg({"<sip:mid@192.0.2.12>;q=0.5"}, 3).text());
  CHECK(contactsOf(h.last()) ==
        std::vector<std::string>{"<sip:high@192.0.2.11>;q=0.9;expires=3600",
                                 "<sip:mid@192.0.2.12>;q=0.5;expires=3600",
                                 "<sip:low@192.0.2.10>;q=0.1;expires=3600"});
  h.send(reg({"<sip:bad@192.0.2.10>;q=2"}, 4).text());
  CHECK(h.last().statusCode() == 400);
}

TEST_CASE("a new REGISTER from the same +sip.instance replaces its old contact") {
  Harness h(noAuth());
  const std::string inst = ";+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>\"";
  h.send(reg({"<sip:alice@192.0.2.10:5060>" + inst + ";reg-id=1"}, 1, "c1").text());
  h.send(reg({"<sip:other@192.0.2.99>"}, 1, "c2").text());
  h.send(reg({"<sip:alice@198.51.100.7:6000;transport=tcp>" + inst + ";reg-id=1"}, 1, "c3").text());
  REQUIRE(h.last().statusCode() == 200);
  auto contacts = contactsOf(h.last());
  REQUIRE(contacts.size() == 2);
  CHECK(contacts[0] ==
        "<sip:alice@198.51.100.7:6000;transport=tcp>;reg-id=1;"
        "+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>\";expires=3600");
  CHECK(contacts[1] == "<sip:other@192.0.2.99>;expires=3600");
  auto stored = h.store.loadBindings();
  CHECK(stored.size() == 2);
  for (const auto& b : stored) {
    CHECK(b.contact != "sip:alice@192.0.2.10:5060");
  }
}

TEST_CASE("new bindings beyond max_contacts_per_aor get 403; refreshes at the limit work") {
  RegistrarOptions o = noAuth();
  o.max_contacts_per_aor = 2;
  Harness h(o);
  h.send(reg({"<sip:a@192.0.2.10>", "<sip:b@192.0.2.10>"}).text());
  CHECK(h.last().statusCode() == 200);
  h.send(reg({"<sip:c@192.0.2.10>"}, 2).text());
  CHECK(h.last().statusCode() == 403);
  CHECK(h.last().reasonPhrase() == "Too many contacts");
  h.send(reg({"<sip:a@192.0.2.10>;expires=600"}, 3).text());
  CHECK(h.last().statusCode() == 200);
  h.send(reg({"<sip:a@192.0.2.10>;expires=0", "<sip:c@192.0.2.10>"}, 4).text());
  CHECK(h.last().statusCode() == 200);  // one out, one in
  CHECK(h.location.lookup("alice@example.test").size() == 2);
}

TEST_CASE("a REGISTER without Contact fetches the current bindings") {
  Harness h(noAuth());
  h.send(reg({}).text());
  CHECK(h.last().statusCode() == 200);
  CHECK(contactsOf(h.last()).empty());
  CHECK_FALSE(h.last().has(HeaderName::Expires));
  h.send(reg({"<sip:a@192.0.2.10>"}, 2).text());
  h.clock.advanceMs(100'000);
  const size_t saves = h.store.saves;
  h.send(reg({}, 3).text());
  CHECK(h.last().statusCode() == 200);
  CHECK(contactsOf(h.last()) == std::vector<std::string>{"<sip:a@192.0.2.10>;expires=3500"});
  CHECK(h.store.saves == saves);  // a fetch writes nothing
}

TEST_CASE("a standard client's 200 OK offers presence events only") {
  Harness h(noAuth());
  h.send(withExtra(reg({"<sip:a@192.0.2.10>"}), "Supported: path, gruu").text());
  const auto& r = h.last();
  REQUIRE(r.statusCode() == 200);
  CHECK(r.headers(HeaderName::AllowEvents) ==
        std::vector<std::string_view>{"presence, presence.winfo"});
  CHECK_FALSE(r.has(HeaderName::MsKeepAlive));
  CHECK(r.tokens(HeaderName::Supported).empty());
}

TEST_CASE("an OCS/Lync-dialect client's 200 OK carries the MS headers") {
  const std::vector<std::string_view> ms_supported = {"adhoclist", "com.microsoft.msrtc.presence",
                                                      "msrtc-event-categories"};
  for (const char* marker :
       {"Supported: msrtc-event-categories", "Supported: gruu-10, com.microsoft.msrtc.presence",
        "ms-keep-alive: UAC;hop-hop=yes"}) {
    CAPTURE(marker);
    Harness h(noAuth());
    h.send(withExtra(reg({"<sip:a@192.0.2.10>"}), marker).text());
    const auto& r = h.last();
    REQUIRE(r.statusCode() == 200);
    CHECK(r.header(HeaderName::Expires) == "3600");
    CHECK(r.header(HeaderName::MsKeepAlive) == "UAS; tcp=no; hop-hop=yes; end-end=no; timeout=300");
    CHECK(r.header(HeaderName::AllowEvents) ==
          "vnd-microsoft-provisioning,vnd-microsoft-roaming-contacts,vnd-microsoft-roaming-ACL,"
          "presence,presence.wpending,vnd-microsoft-roaming-self,vnd-microsoft-provisioning-v2");
    CHECK(r.headers(HeaderName::Supported) == ms_supported);
  }
}

// The 200 OK as ResponseBuilder writes it, which buildRegisterOk() must match octet for octet.
std::string builderOk(const sip::SipMessage& req, const std::vector<const Binding*>& bindings,
                      std::optional<uint32_t> granted, int64_t now, std::string_view tag) {
  sip::ResponseBuilder b(req, 200, "OK");
  b.toTag(tag);
  for (const Binding* binding : bindings) {
    b.header("Contact", renderContact(*binding, now));
  }
  if (granted) {
    b.header("Expires", std::to_string(*granted));
  }
  b.header("Date", httpDate(now));
  if (isMicrosoftClient(req)) {
    b.header("ms-keep-alive", "UAS; tcp=no; hop-hop=yes; end-end=no; timeout=300");
    b.header("Allow-Events",
             "vnd-microsoft-provisioning,vnd-microsoft-roaming-contacts,"
             "vnd-microsoft-roaming-ACL,presence,presence.wpending,"
             "vnd-microsoft-roaming-self,vnd-microsoft-provisioning-v2");
    b.header("Supported", "adhoclist");
    b.header("Supported", "com.microsoft.msrtc.presence");
    b.header("Supported", "msrtc-event-categories");
  } else {
    b.header("Allow-Events", "presence, presence.winfo");
  }
  return b.build();
}

TEST_CASE("the 200 OK is exactly what ResponseBuilder would write") {
  Binding one;
  one.contact = "sip:a@192.0.2.10;transport=tcp";
  one.expires_at = 1'000'100;
  Binding two = one;
  two.contact = "sip:b@192.0.2.11";
  two.instance = "<urn:uuid:1>";
  two.params = "methods=\"INVITE, MESSAGE\"";
  two.q1000 = 500;
  const std::vector<const Binding*> bindings = {&one, &two};
  Reg two_vias = reg({"<sip:a@192.0.2.10>"});
  two_vias.extra = {"Via: SIP/2.0/UDP 192.0.2.20;branch=z9hG4bK-2, SIP/2.0/TCP 192.0.2.21",
                    "Timestamp: 54"};
  std::string tagged = reg({}).text();
  tagged.replace(tagged.find("To: <sip:alice@example.test>"), 28,
                 "To: <sip:alice@example.test>;tag=old");
  unsigned round = 0;
  for (const std::string& text : {reg({"<sip:a@192.0.2.10>"}).text(), two_vias.text(), tagged,
                                  withExtra(reg({}), "ms-keep-alive: UAC;hop-hop=yes").text()}) {
    CAPTURE(text);
    const sip::SipMessage req = parseOrDie(text);
    for (std::optional<uint32_t> granted :
         {std::optional<uint32_t>(), std::optional<uint32_t>(60)}) {
      for (const auto& list : {bindings, std::vector<const Binding*>{}}) {
        const int64_t now = 1'000'000 + static_cast<int64_t>(++round % 3);  // the Date changes
        const std::string ok = buildRegisterOk(req, list, granted, now);
        const sip::SipMessage parsed = parseOrDie(ok);
        REQUIRE(parsed.to());
        const std::string tag(parsed.to()->tag());
        CHECK(tag.size() == (text == tagged ? 3u : 10u));
        CHECK(ok == builderOk(req, list, granted, now, tag));
      }
    }
  }
}

TEST_CASE("the reply waits for the store commit") {
  Harness h(noAuth());
  h.poster.queue = true;
  CHECK(h.send(reg({"<sip:a@192.0.2.10>"}).text()) == 0);
  CHECK(h.location.size() == 0);  // memory follows the store, never leads it
  CHECK(h.registrar.busyAors() == 1);
  // A second REGISTER for the AOR waits behind the first.
  CHECK(h.send(reg({"<sip:b@192.0.2.10>"}, 2).text()) == 0);
  h.poster.run();
  REQUIRE(h.replies.size() == 2);
  CHECK(parseOrDie(h.replies[0]).statusCode() == 200);
  CHECK(contactsOf(parseOrDie(h.replies[0])).size() == 1);
  CHECK(contactsOf(parseOrDie(h.replies[1])).size() == 2);  // saw the first one's binding
  CHECK(h.location.size() == 2);
  CHECK(h.registrar.busyAors() == 0);
}

TEST_CASE("a failed store write answers 500 and leaves memory as the store is") {
  Harness h(noAuth());
  h.send(reg({"<sip:a@192.0.2.10>"}).text());
  h.store.fail_saves = true;
  h.send(reg({"<sip:b@192.0.2.10>"}, 2).text());
  CHECK(h.last().statusCode() == 500);
  CHECK(h.location.lookup("alice@example.test").size() == 1);
  h.store.fail_saves = false;
  h.store.fail_deletes = true;
  h.send(withExtra(reg({"*"}, 3), "Expires: 0").text());
  CHECK(h.last().statusCode() == 500);
  CHECK(h.location.lookup("alice@example.test").size() == 1);
  CHECK(h.store.loadBindings().size() == 1);
}

TEST_CASE("the binding remembers the flow it came over") {
  Harness h(noAuth());
  const auto flow = testFlow("203.0.113.5", 40000, proxy::transport::Protocol::Tcp);
  h.send(reg({"<sip:alice@10.0.0.2:5060;transport=tcp>"}).text(), flow);
  auto list = h.location.lookup("alice@example.test");
  REQUIRE(list.size() == 1);
  CHECK(list[0]->flow_token == flow.token());
  REQUIRE(list[0]->flow.has_value());
  CHECK(list[0]->flow->connection_id == flow.connection_id);
  CHECK(h.store.loadBindings()[0].flow == flow.token());
}

TEST_CASE("contact params other than expires are kept and echoed") {
  Harness h(noAuth());
  h.send(withExtra(reg({"<sip:alice@192.0.2.10;transport=tls;ms-opaque=d3470f2e1d>;"
                        "methods=\"INVITE, MESSAGE, BENOTIFY\";proxy=replace;expires=600"}),
                   "User-Agent: UCCAPI/16.0")
             .text());
  auto r = h.last();
  REQUIRE(r.statusCode() == 200);
  CHECK(contactsOf(r) == std::vector<std::string>{
                             "<sip:alice@192.0.2.10;transport=tls;ms-opaque=d3470f2e1d>;"
                             "methods=\"INVITE, MESSAGE, BENOTIFY\";proxy=replace;expires=600"});
  auto b = h.location.lookup("alice@example.test")[0];
  CHECK(b->params == "methods=\"INVITE, MESSAGE, BENOTIFY\";proxy=replace");
  CHECK(b->user_agent == "UCCAPI/16.0");
}

TEST_CASE("requests for foreign domains or with bad To/Contact are refused") {
  Harness h(noAuth());
  Reg foreign = reg({"<sip:a@192.0.2.10>"});
  foreign.ruri = "sip:elsewhere.test";
  h.send(foreign.text());
  CHECK(h.last().statusCode() == 404);
  std::string to_foreign = reg({"<sip:a@192.0.2.10>"}).text();
  to_foreign.replace(to_foreign.find("To: <sip:alice@example.test>"), 28,
                     "To: <sip:alice@elsewhere.test>");
  h.send(to_foreign);
  CHECK(h.last().statusCode() == 404);
  h.send(reg({"<sip:a@192.0.2.10"}).text());
  CHECK(h.last().statusCode() == 400);
  CHECK(h.location.size() == 0);
}

TEST_CASE("the domain check asks once per local host and still refuses foreign ones") {
  std::vector<std::string> asked;
  RegistrarOptions o = noAuth();
  o.is_local_domain = [&](std::string_view host) {
    asked.emplace_back(host);
    return host == "example.test";
  };
  Harness h(o);
  h.send(reg({"<sip:a@192.0.2.10>"}).text());
  CHECK(h.last().statusCode() == 200);
  h.send(reg({"<sip:a@192.0.2.10>"}, 2).text());
  CHECK(h.last().statusCode() == 200);
  CHECK(asked == std::vector<std::string>{"example.test"});  // Request-URI, To, twice: remembered
  Reg foreign = reg({"<sip:a@192.0.2.10>"}, 3);
  foreign.ruri = "sip:Elsewhere.test";
  h.send(foreign.text());
  CHECK(h.last().statusCode() == 404);
  CHECK(asked.back() == "elsewhere.test");  // lowercased, and never remembered as local
  h.send(foreign.text());
  CHECK(h.last().statusCode() == 404);
  Reg upper = reg({"<sip:a@192.0.2.10>"}, 4);
  upper.ruri = "sip:EXAMPLE.test";
  h.send(upper.text());
  CHECK(h.last().statusCode() == 200);
}

TEST_CASE("the rvalue overload takes the request over") {
  Harness h(noAuth());
  h.poster.queue = true;
  std::string reply;
  h.registrar.handleRegister(parseOrDie(reg({"<sip:a@192.0.2.10>"}).text()), testFlow(),
                             [&](std::string r) { reply = std::move(r); });
  CHECK(reply.empty());
  h.poster.run();
  CHECK(parseOrDie(reply).statusCode() == 200);
}

TEST_CASE("a binding lives exactly as long as granted") {
  Harness h(noAuth());
  h.send(reg({"<sip:a@192.0.2.10>;expires=60"}).text());
  h.clock.advanceMs(59'000);
  h.send(reg({}, 2).text());
  CHECK(contactsOf(h.last()) == std::vector<std::string>{"<sip:a@192.0.2.10>;expires=1"});
  h.clock.advanceMs(1'000);
  h.send(reg({}, 3).text());
  CHECK(contactsOf(h.last()).empty());
  CHECK(h.location.expire(h.clock.unixSeconds()) == 1);
  CHECK(h.store.loadBindings().empty());
}

TEST_CASE("an instance moving onto another binding's URI leaves one binding") {
  Harness h(noAuth());
  const std::string inst = ";+sip.instance=\"<urn:uuid:1>\"";
  h.send(reg({"<sip:a@192.0.2.10>" + inst}, 1, "c1").text());
  h.send(reg({"<sip:b@192.0.2.10>"}, 1, "c2").text());
  h.send(reg({"<sip:b@192.0.2.10>" + inst}, 2, "c1").text());
  REQUIRE(h.last().statusCode() == 200);
  auto list = h.location.lookup("alice@example.test");
  REQUIRE(list.size() == 1);
  CHECK(list[0]->contact == "sip:b@192.0.2.10");
  CHECK(list[0]->instance == "<urn:uuid:1>");
  CHECK(h.store.loadBindings().size() == 1);
}

TEST_CASE("the same contact twice in one REGISTER: the last one counts") {
  Harness h(noAuth());
  h.send(reg({"<sip:a@192.0.2.10>;expires=100", "<sip:a@192.0.2.10>;expires=200"}).text());
  REQUIRE(h.last().statusCode() == 200);
  CHECK(contactsOf(h.last()) == std::vector<std::string>{"<sip:a@192.0.2.10>;expires=200"});
  CHECK(h.last().header(HeaderName::Expires) == "100");  // granted to the first contact
}

TEST_CASE("an AOR waiting for the store does not hold up other AORs") {
  Harness h(noAuth());
  h.poster.queue = true;
  h.send(reg({"<sip:a@192.0.2.10>"}).text());
  Reg bob = reg({"<sip:b@192.0.2.10>"});
  bob.user = "bob";
  h.send(bob.text());
  CHECK(h.registrar.busyAors() == 2);
  CHECK(h.poster.pending() == 2);
  h.poster.run();
  CHECK(h.replies.size() == 2);
  CHECK(h.location.lookup("bob@example.test").size() == 1);
}

TEST_CASE("queue entries released by one AOR serve the next ones") {
  Harness h(noAuth());
  h.poster.queue = true;
  Reg bob = reg({"<sip:b@192.0.2.10>"});
  bob.user = "bob";
  h.send(reg({"<sip:a@192.0.2.10>"}).text());
  h.poster.run();  // alice's entry is released
  CHECK(h.registrar.busyAors() == 0);
  h.send(bob.text());                                         // takes it over
  h.send(reg({"<sip:c@192.0.2.10>"}, 2).text());              // alice again: a new entry
  CHECK(h.send(reg({"<sip:d@192.0.2.10>"}, 3).text()) == 0);  // waits behind alice's
  CHECK(h.registrar.busyAors() == 2);
  h.poster.run();
  CHECK(h.replies.size() == 4);
  CHECK(h.registrar.busyAors() == 0);
  CHECK(h.location.lookup("alice@example.test").size() == 3);
  CHECK(h.location.lookup("bob@example.test").size() == 1);
  Reg bob_again = reg({"<sip:e@192.0.2.10>"}, 2);
  bob_again.user = "bob";
  h.send(bob_again.text());
  h.poster.run();
  CHECK(h.location.lookup("bob@example.test").size() == 2);
  CHECK(h.registrar.busyAors() == 0);
}

TEST_CASE("a reply that sends the next REGISTER at once is handled in order") {
  Harness h(noAuth());
  std::vector<int> statuses;
  std::function<void(std::string)> on_reply = [&](std::string r) {
    statuses.push_back(parseOrDie(r).statusCode());
    if (statuses.size() == 1) {
      h.registrar.handleRegister(parseOrDie(reg({"<sip:b@192.0.2.10>"}, 2).text()), testFlow(),
                                 on_reply);
    }
  };
  h.registrar.handleRegister(parseOrDie(reg({"<sip:a@192.0.2.10>"}).text()), testFlow(), on_reply);
  CHECK(statuses == std::vector<int>{200, 200});
  CHECK(h.location.lookup("alice@example.test").size() == 2);
  CHECK(h.registrar.busyAors() == 0);
}

TEST_CASE("store completions arriving after the registrar is gone are dropped") {
  auto h = std::make_unique<Harness>(noAuth());
  h->poster.queue = true;
  h->send(reg({"<sip:a@192.0.2.10>"}).text());
  CHECK(h->poster.pending() == 1);
  // Take the queued completion out, destroy the shard's objects, then run it.
  TestPoster survivor;
  std::swap(survivor, h->poster);
  h.reset();
  survivor.run();  // must not touch the destroyed registrar
}

TEST_CASE("the stateless challenge answers only what the full path would only challenge") {
  Harness h;
  const auto flow = testFlow();
  auto challenge =
      h.registrar.statelessChallenge(parseOrDie(reg({"<sip:a@192.0.2.10>"}).text()), flow);
  REQUIRE(challenge);
  auto r = parseOrDie(*challenge);
  CHECK(r.statusCode() == 401);
  REQUIRE(r.headers(HeaderName::WwwAuthenticate).size() == 2);
  CHECK(parseChallenge(r.headers(HeaderName::WwwAuthenticate)[0]).algorithm == "SHA-256");
  CHECK(h.registrar.busyAors() == 0);

  // Any Authorization takes the full path (which challenges another realm's credentials).
  auto other_realm = withExtra(reg({"<sip:a@192.0.2.10>"}),
                               "Authorization: Digest username=\"alice\", realm=\"other\", "
                               "nonce=\"n\", uri=\"sip:example.test\", response=\"00\"");
  CHECK_FALSE(h.registrar.statelessChallenge(parseOrDie(other_realm.text()), flow));
  CHECK(h.send(other_realm.text()) == 1);
  CHECK(h.last().statusCode() == 401);

  // Everything else takes the full path.
  auto ours = withExtra(reg({"<sip:a@192.0.2.10>"}),
                        "Authorization: Digest username=\"alice\", realm=\"example.test\", "
                        "nonce=\"n\", uri=\"sip:example.test\", response=\"00\", "
                        "algorithm=MD5, qop=auth, nc=00000001, cnonce=\"c\"");
  CHECK_FALSE(h.registrar.statelessChallenge(parseOrDie(ours.text()), flow));
  CHECK_FALSE(h.registrar.statelessChallenge(
      parseOrDie(withExtra(reg({"<sip:a@192.0.2.10>"}), "Require: foo").text()), flow));
  CHECK_FALSE(h.registrar.statelessChallenge(
      parseOrDie(withExtra(reg({"<sip:a@192.0.2.10>"}), "Proxy-Require: foo").text()), flow));
  Reg foreign = reg({"<sip:a@192.0.2.10>"});
  foreign.ruri = "sip:elsewhere.test";
  CHECK_FALSE(h.registrar.statelessChallenge(parseOrDie(foreign.text()), flow));
  std::string tagged = reg({"<sip:a@192.0.2.10>"}).text();
  tagged.replace(tagged.find("To: <sip:alice@example.test>"), 28,
                 "To: <sip:alice@example.test>;tag=x");
  CHECK_FALSE(h.registrar.statelessChallenge(parseOrDie(tagged), flow));
  std::string message = reg({}).text();
  message.replace(0, 8, "MESSAGE");
  message.replace(message.find("1 REGISTER"), 10, "1 MESSAGE");
  CHECK_FALSE(h.registrar.statelessChallenge(parseOrDie(message), flow));

  Harness unchallenged(noAuth());
  CHECK_FALSE(unchallenged.registrar.statelessChallenge(
      parseOrDie(reg({"<sip:a@192.0.2.10>"}).text()), flow));
  AuthOptions trusting = Harness::defaultAuth();
  trusting.is_trusted = [](const proxy::transport::Address&) { return true; };
  Harness trusted(RegistrarOptions{}, std::move(trusting));
  CHECK_FALSE(
      trusted.registrar.statelessChallenge(parseOrDie(reg({"<sip:a@192.0.2.10>"}).text()), flow));
}

}  // namespace
}  // namespace core::registrar
