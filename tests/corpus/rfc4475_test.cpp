// SPDX-License-Identifier: Apache-2.0
// Data-driven test over the RFC 4475 torture messages in tests/corpus/rfc4475/.
// Every message listed in index.tsv goes through what the proxy does first:
// SipMessage::parse, then validateRequest (or validateResponse) and
// unsupportedRequires with no supported extensions. The outcome must match the
// table below, which follows index.tsv's expected_handling column.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "proxy/sip/sip_message.h"
#include "proxy/sip/validate.h"

namespace proxy::sip {
namespace {

const std::string kDir = std::string(CONFAB_SOURCE_DIR) + "/tests/corpus/rfc4475/";

enum class Stage { Accept, Parse, Validate, Require };

struct Expected {
  Stage stage;
  int status;  // the error's status; 0 = drop silently; unused for Accept
};

constexpr Expected kOk{Stage::Accept, 0};
constexpr Expected parseError(int status) { return {Stage::Parse, status}; }
constexpr Expected validateError(int status) { return {Stage::Validate, status}; }

// Our verdict per message. Where the RFC lets a receiver choose, the comment says
// which choice we made. 483 (zeromf), 406 (sdp01), 415 (invut), 405/401
// (regaut01), 400 for a non-SIP To at the registrar (unksm2) and dropping a
// broadcast Via (bcast) are decisions of later stages, so those messages pass here.
const std::map<std::string, Expected, std::less<>> kExpected = {
    {"wsinv", kOk},
    {"intmeth", kOk},
    {"esc01", kOk},
    {"escnull", kOk},
    {"esc02", kOk},
    {"lwsdisp", kOk},
    {"longreq", kOk},
    {"dblreq", kOk},
    {"semiuri", kOk},
    {"transports", kOk},
    {"mpart01", kOk},
    {"unreason", kOk},
    {"noreason", kOk},
    {"badinv01", parseError(400)},       // empty elements in the Via list
    {"clerr", parseError(400)},          // Content-Length 9999 > body
    {"ncl", parseError(400)},            // Content-Length -999
    {"scalar02", validateError(400)},    // CSeq > 2**32-1
    {"scalarlg", validateError(0)},      // response: discard
    {"quotbal", validateError(400)},     // we do not infer the closing quote
    {"ltgtruri", parseError(400)},       // strict: never ignore the brackets
    {"lwsruri", parseError(400)},
    {"lwsstart", parseError(400)},
    {"trws", parseError(400)},
    {"escruri", validateError(400)},     // headers in a Request-URI
    {"baddate", kOk},                    // liberal: the proxy never interprets Date
    {"regbadct", validateError(400)},    // strict: we do not infer <>
    {"badaspec", validateError(400)},
    {"baddn", parseError(400)},          // header section never terminated
    {"badvers", parseError(505)},
    {"mismatch01", validateError(400)},
    {"mismatch02", validateError(501)},  // index.tsv: 501 (400 also acceptable)
    {"bigcode", parseError(0)},          // response: drop
    {"badbranch", validateError(400)},   // reject rather than RFC 2543 matching
    {"insuf", validateError(400)},
    {"unkscm", validateError(416)},
    {"novelsc", validateError(416)},
    {"unksm2", kOk},
    {"bext01", {Stage::Require, 420}},
    {"invut", kOk},
    {"regaut01", kOk},
    {"multi01", validateError(400)},
    {"mcl01", parseError(400)},          // conflicting Content-Length
    {"bcast", kOk},
    {"zeromf", kOk},
    {"cparam01", kOk},
    {"cparam02", kOk},
    {"regescrt", kOk},
    {"sdp01", kOk},
    {"inv2543", kOk},
};

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string readMessage(std::string_view name) { return readFile(kDir + std::string(name) + ".dat"); }

SipMessage mustParse(std::string_view name) {
  auto msg = SipMessage::parse(readMessage(name));
  REQUIRE_MESSAGE(msg, name);
  return std::move(*msg);
}

struct Outcome {
  Stage stage;
  int status;
  std::string detail;
};

Outcome process(const std::string& bytes) {
  auto msg = SipMessage::parse(bytes);
  if (!msg) {
    return {Stage::Parse, msg.error().status, msg.error().detail};
  }
  auto valid = msg->isRequest() ? validateRequest(*msg) : validateResponse(*msg);
  if (!valid) {
    return {Stage::Validate, valid.error().status, valid.error().detail};
  }
  if (msg->isRequest() && !unsupportedRequires(*msg, {}).empty()) {
    return {Stage::Require, 420, "Bad Extension"};
  }
  return {Stage::Accept, 0, ""};
}

const char* stageName(Stage s) {
  switch (s) {
    case Stage::Accept: return "accept";
    case Stage::Parse: return "parse";
    case Stage::Validate: return "validate";
    case Stage::Require: return "require";
  }
  return "?";
}

struct Row {
  std::string name, section, kind, verdict;
};

std::vector<Row> readIndex() {
  std::istringstream in(readFile(kDir + "index.tsv"));
  std::string line;
  std::getline(in, line);
  REQUIRE(line.rfind("name\trfc_section\ttitle\tkind\tverdict\texpected_handling", 0) == 0);
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::istringstream fields(line);
    for (std::string col; std::getline(fields, col, '\t');) {
      cols.push_back(col);
    }
    REQUIRE(cols.size() == 6);
    rows.push_back({cols[0], cols[1], cols[3], cols[4]});
  }
  return rows;
}

TEST_CASE("rfc4475: every message in index.tsv gets the expected outcome") {
  const std::vector<Row> rows = readIndex();
  CHECK(rows.size() == 49);
  CHECK(kExpected.size() == rows.size());
  for (const Row& row : rows) {
    CAPTURE(row.name);
    auto it = kExpected.find(row.name);
    REQUIRE_MESSAGE(it != kExpected.end(), "no expectation for ", row.name);
    const Expected& want = it->second;
    const Outcome got = process(readMessage(row.name));
    INFO(row.name, " (", row.section, "): ", stageName(got.stage), " ", got.status, " ",
         got.detail);
    CHECK(got.stage == want.stage);
    if (want.stage != Stage::Accept) {
      CHECK(got.status == want.status);
    }
    // Messages the RFC calls valid are always accepted here.
    if (row.verdict == "valid") {
      CHECK(got.stage == Stage::Accept);
    }
    if (got.stage != Stage::Parse) {
      auto msg = SipMessage::parse(readMessage(row.name));
      REQUIRE(msg);
      CHECK(msg->isRequest() == (row.kind == "request"));
      // Whatever we accept must survive a serialize/parse round trip.
      auto again = SipMessage::parse(msg->serialize());
      REQUIRE(again);
      CHECK(again->fields().size() + msg->count(HeaderName::ContentLength) ==
            msg->fields().size() + again->count(HeaderName::ContentLength));
      CHECK(again->body() == msg->body());
    }
  }
}

TEST_CASE("rfc4475 wsinv: whitespace, folding and compact forms") {
  const SipMessage msg = mustParse("wsinv");
  CHECK(msg.to()->tag() == "1918181833n");
  CHECK(msg.from()->tag() == "98asjd8");
  CHECK(msg.from()->displayName() == R"(J Rosenberg \\\")");
  CHECK(msg.maxForwards() == 68u);
  CHECK(msg.cseq()->number == 9);
  CHECK(msg.cseq()->method == "INVITE");
  const auto vias = msg.headers(HeaderName::Via);
  REQUIRE(vias.size() == 3);
  CHECK(msg.topVia()->branch() == "390skdjuw");
  CHECK(Via::parse(vias[1])->transport() == "TCP");
  CHECK(Via::parse(vias[2])->branch() == "z9hG4bK30239");
  CHECK(msg.has(HeaderName::Subject));
  CHECK(msg.header(HeaderName::Subject).empty());
  CHECK(msg.header("UnknownHeaderWithUnusualValue") == ";;,,;;,;");
  auto contact = NameAddr::parse(msg.header(HeaderName::Contact));
  REQUIRE(contact);
  CHECK(contact->param("newparam")->value == "newvalue");
  CHECK(contact->param("q")->value == "0.33");
  CHECK(msg.body().size() == 150);
}

TEST_CASE("rfc4475 intmeth: unusual but valid characters") {
  const SipMessage msg = mustParse("intmeth");
  CHECK(msg.method() == Method::Unknown);
  CHECK(msg.methodText() == "!interesting-Method0123456789_*+`.%indeed'~");
  CHECK(msg.to()->displayName() == std::string_view("BEL:\\\x07 NUL:\\\0 DEL:\\\x7f", 20));
  CHECK(msg.from()->tag() == "_token~1'+`*%!-.");
  CHECK(msg.header("extensionHeader-!.%*+_`'~") == "\xef\xbb\xbf\xe5\xa4\xa7\xe5\x81\x9c\xe9\x9b\xbb");
  CHECK(msg.callId() == "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
}

TEST_CASE("rfc4475 escapes: esc01, escnull, esc02") {
  const SipMessage esc01 = mustParse("esc01");
  CHECK(Uri::parse(esc01.requestUri())->aor() == "sips:user@example.com@example.net");
  CHECK(esc01.to()->uri().aor() == "user@example.com");
  CHECK(unescape(esc01.from()->uri().user()) == "I have spaces");

  const SipMessage escnull = mustParse("escnull");
  const auto contacts = escnull.headers(HeaderName::Contact);
  REQUIRE(contacts.size() == 2);  // two distinct contacts
  const std::string first = NameAddr::parse(contacts[0])->uri().aor();
  const std::string second = NameAddr::parse(contacts[1])->uri().aor();
  CHECK(first == std::string("\0@host5.example.com", 19));
  CHECK(second == std::string("\0\0@host5.example.com", 20));
  CHECK(first != second);
  CHECK(escnull.to()->uri().aor() == std::string("null-\0-null@example.com", 23));

  const SipMessage esc02 = mustParse("esc02");
  CHECK(esc02.method() == Method::Unknown);  // not REGISTER
  CHECK(esc02.methodText() == "RE%47IST%45R");
  CHECK(esc02.count(HeaderName::Contact) == 2);  // C%6Fntact is another header
  CHECK(esc02.header("C%6Fntact") == "<sip:alias2@host2.example.com>");
  CHECK(unescape(esc02.to()->displayName()) == "%ZE");
}

TEST_CASE("rfc4475 framing: dblreq, mpart01, inv2543") {
  const SipMessage dblreq = mustParse("dblreq");
  CHECK(dblreq.method() == Method::Register);
  CHECK(dblreq.body().empty());

  const SipMessage mpart = mustParse("mpart01");
  CHECK(mpart.body().size() == 553);
  CHECK(mpart.body().find('\0') != std::string_view::npos);
  CHECK(mpart.body().substr(mpart.body().size() - 22) == "--7a9cbec02ceef655--\r\n");

  const SipMessage inv2543 = mustParse("inv2543");
  CHECK_FALSE(inv2543.has(HeaderName::ContentLength));
  CHECK(inv2543.body().rfind("v=0\r\n", 0) == 0);
  CHECK(inv2543.body().size() == readMessage("inv2543").size() -
                                     readMessage("inv2543").find("\r\n\r\n") - 4);
  CHECK(inv2543.topVia()->branch().empty());
  CHECK_FALSE(inv2543.maxForwards().has_value());
}

TEST_CASE("rfc4475 URIs: semiuri, unkscm, cparam01/02, regescrt") {
  const SipMessage semiuri = mustParse("semiuri");
  auto ruri = Uri::parse(semiuri.requestUri());
  REQUIRE(ruri);
  CHECK(unescape(ruri->user()) == "user;par=u@example.net");
  CHECK(ruri->host() == "example.com");
  CHECK(semiuri.count(HeaderName::Accept) == 1);

  const SipMessage unkscm = mustParse("unkscm");
  CHECK(Uri::parse(unkscm.requestUri())->scheme() == "nobodyKnowsThisScheme");

  const SipMessage cparam01 = mustParse("cparam01");
  auto c1 = NameAddr::parse(cparam01.header(HeaderName::Contact));
  REQUIRE(c1);
  CHECK(c1->param("unknownparam") != nullptr);  // a contact-param ...
  CHECK(c1->uri().param("unknownparam") == nullptr);  // ... never a url-parameter

  const SipMessage cparam02 = mustParse("cparam02");
  auto c2 = NameAddr::parse(cparam02.header(HeaderName::Contact));
  REQUIRE(c2);
  CHECK(c2->param("unknownparam") == nullptr);
  CHECK(c2->uri().param("unknownparam") != nullptr);

  const SipMessage regescrt = mustParse("regescrt");
  auto c3 = NameAddr::parse(regescrt.header(HeaderName::Contact));
  REQUIRE(c3);
  CHECK(c3->uri().headers() == "Route=%3Csip:sip.example.com%3E");
}

TEST_CASE("rfc4475 semantics left to later stages: zeromf, bext01, transports, longreq") {
  const SipMessage zeromf = mustParse("zeromf");
  CHECK(zeromf.maxForwards() == 0u);

  const SipMessage bext01 = mustParse("bext01");
  CHECK(unsupportedRequires(bext01, {}) ==
        std::vector<std::string_view>{"nothingSupportsThis", "nothingSupportsThisEither",
                                      "noProxiesSupportThis", "norDoAnyProxiesSupportThis"});
  CHECK(unsupportedRequires(bext01, {"nothingsupportsthis", "nothingSupportsThisEither",
                                     "noProxiesSupportThis", "norDoAnyProxiesSupportThis"})
            .empty());

  const SipMessage transports = mustParse("transports");
  std::vector<std::string_view> names;
  for (std::string_view v : transports.headers(HeaderName::Via)) {
    names.push_back(Via::parse(v)->transport());
  }
  CHECK(names == std::vector<std::string_view>{"UDP", "SCTP", "TLS", "UNKNOWN", "TCP"});

  const SipMessage longreq = mustParse("longreq");
  CHECK(longreq.count(HeaderName::Via) == 34);
  CHECK(longreq.to()->displayName().size() > 100);

  const SipMessage regaut01 = mustParse("regaut01");
  CHECK(regaut01.header(HeaderName::Authorization) == "NoOneKnowsThisScheme opaque-data=here");
}

TEST_CASE("rfc4475 baddn: unterminated headers, and a bad display name once terminated") {
  const std::string bytes = readMessage("baddn");
  auto unterminated = SipMessage::parse(bytes);
  REQUIRE_FALSE(unterminated);
  CHECK(unterminated.error().status == 400);
  CHECK(unterminated.error().detail == "Message headers not terminated");

  auto terminated = SipMessage::parse(bytes + "\r\n");
  REQUIRE(terminated);
  auto valid = validateRequest(*terminated);
  REQUIRE_FALSE(valid);
  CHECK(valid.error().status == 400);
  CHECK(valid.error().detail.find("display name") != std::string::npos);
}

TEST_CASE("rfc4475 reasons name the problem") {
  CHECK(process(readMessage("insuf")).detail == "Missing Call-ID");
  CHECK(process(readMessage("clerr")).detail == "Content-Length larger than message");
  CHECK(process(readMessage("multi01")).detail.rfind("Multiple values in ", 0) == 0);
  CHECK(process(readMessage("mcl01")).detail == "Conflicting Content-Length values");
  CHECK(process(readMessage("escruri")).detail == "Headers not allowed in Request-URI");
}

TEST_CASE("rfc4475 messages truncated anywhere never break the parser") {
  for (const auto& [name, expected] : kExpected) {
    const std::string bytes = readMessage(name);
    for (size_t n = 0; n < bytes.size(); n += 7) {
      (void)process(bytes.substr(0, n));
    }
  }
}

}  // namespace
}  // namespace proxy::sip
