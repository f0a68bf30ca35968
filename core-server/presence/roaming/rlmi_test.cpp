// SPDX-License-Identifier: Apache-2.0
// RFC 4662 RLMI, multipart/related, and eventlist bodies for both dialects.
#include <doctest/doctest.h>

#include "core-server/presence/roaming/eventlist.h"
#include "core-server/presence/roaming/multipart.h"
#include "core-server/presence/roaming/rlmi.h"
#include "core-server/presence/roaming/roaming_testing.h"

namespace core::presence::roaming {
namespace {

using testing::attr;
using testing::parseOk;
using testing::sipeChild;
using testing::sipeChildren;

RlmiList sample() {
  RlmiList list;
  list.uri = "sip:adam-friends@pres.example.com";
  list.version = 7;
  list.full_state = false;
  list.names.push_back(RlmiName{"Buddy List", "en"});
  list.resources.push_back(
      RlmiResource{"sip:bob@example.com",
                   {{"Bob Smith", ""}},
                   {{"juwigmtboe", InstanceState::Active, "", "bUZBsM@pres.example.com", ""}}});
  list.resources.push_back(RlmiResource{
      "sip:dave@example.com", {}, {{"hqzsuxtfyq", InstanceState::Pending, "", "", ""}}});
  list.resources.push_back(RlmiResource{
      "sip:ed@example.net", {}, {{"7dlf9", InstanceState::Terminated, "rejected", "", ""}}});
  list.resources.push_back(
      RlmiResource{"sip:fed@fabrikam.com",
                   {},
                   {{"1", InstanceState::Resubscribe, "", "", "pool.fabrikam.com"}}});
  return list;
}

TEST_CASE("RLMI round-trips and has the RFC 4662 shape") {
  const std::string xml = renderRlmi(sample());
  auto back = parseRlmi(xml, XmlLimits{});
  REQUIRE_MESSAGE(back.ok(), (back.ok() ? "" : back.error().detail));
  CHECK(*back == sample());

  const XmlDocument doc = parseOk(xml);
  CHECK(doc.root().is("urn:ietf:params:xml:ns:rlmi", "list"));
  CHECK(attr(doc.root(), "version") == "7");
  CHECK(attr(doc.root(), "fullState") == "false");
  const auto resources = sipeChildren(doc.root(), "resource");
  REQUIRE(resources.size() == 4);
  CHECK(sipeChild(resources[0], "name")->text() == "Bob Smith");
  auto active = sipeChild(resources[0], "instance");
  CHECK(attr(*active, "state") == "active");
  CHECK(attr(*active, "cid") == "bUZBsM@pres.example.com");
  CHECK(attr(*sipeChild(resources[1], "instance"), "state") == "pending");
  CHECK(attr(*sipeChild(resources[2], "instance"), "reason") == "rejected");
  // process_incoming_notify_rlmi_resub(): strstr(state, "resubscribe") + poolFqdn.
  CHECK(attr(*sipeChild(resources[3], "instance"), "state") == "resubscribe");
  CHECK(attr(*sipeChild(resources[3], "instance"), "poolFqdn") == "pool.fabrikam.com");
}

TEST_CASE("bad RLMI documents") {
  auto error = [](std::string_view xml) {
    auto r = parseRlmi(xml, XmlLimits{});
    REQUIRE_FALSE(r);
    return r.error().detail;
  };
  CHECK(error(R"(<list uri="sip:a@b" version="0" fullState="true"/>)") ==
        "rlmi: root element must be {urn:ietf:params:xml:ns:rlmi}list, got list");
  CHECK(error(R"(<list xmlns="urn:ietf:params:xml:ns:rlmi" version="0" fullState="true"/>)") ==
        "rlmi: <list> without uri");
  CHECK(
      error(
          R"(<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:a@b" version="x" fullState="true"/>)") ==
      "rlmi: <list> version missing or not a number");
  CHECK(error(R"(<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:a@b" version="1"/>)") ==
        "rlmi: <list> fullState missing or not a boolean");
  CHECK(
      error(
          R"(<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:a@b" version="1" fullState="true">)"
          R"(<resource uri="sip:c@d"><instance id="1" state="sleepy"/></resource></list>)") ==
      "rlmi: <instance> with unknown state \"sleepy\"");
  CHECK(
      error(
          R"(<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:a@b" version="1" fullState="true">)"
          R"(<resource uri="sip:c@d"><instance state="active"/></resource></list>)") ==
      "rlmi: <instance> without id");
  // 5000 resources exceed the element bound.
  std::string big =
      R"(<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:a@b" version="1" fullState="true">)";
  for (int i = 0; i < 5000; ++i) big += "<resource uri=\"sip:x@y\"/>";
  big += "</list>";
  XmlLimits limits;
  limits.max_bytes = 1 << 20;
  auto r = parseRlmi(big, limits);
  REQUIRE_FALSE(r);
  CHECK(r.error().status == 400);
}

TEST_CASE("multipart/related: start, type, Content-IDs, and a round trip") {
  const std::vector<MimePart> parts = {
      {"application/rlmi+xml;charset=\"UTF-8\"", "rlmi.1@example.com", "<list/>"},
      {"application/pidf+xml", "r0.1@example.com", "<presence/>\r\n"},
  };
  auto body = buildMultipartRelated("b0undary", parts);
  REQUIRE_MESSAGE(body.ok(), (body.ok() ? "" : body.error().detail));
  CHECK(body->content_type ==
        "multipart/related;type=\"application/rlmi+xml\";start=\"<rlmi.1@example.com>\";"
        "boundary=b0undary");
  CHECK(body->body.rfind(
            "--b0undary\r\n"
            "Content-ID: <rlmi.1@example.com>\r\n"
            "Content-Type: application/rlmi+xml;charset=\"UTF-8\"\r\n\r\n<list/>\r\n\r\n",
            0) == 0);
  CHECK(body->body.size() >= 14);
  CHECK(body->body.substr(body->body.size() - 14) == "--b0undary--\r\n");
  CHECK(contentTypeParameter(body->content_type, "type") == "application/rlmi+xml");
  CHECK(contentTypeParameter(body->content_type, "start") == "<rlmi.1@example.com>");

  auto back = parseMultipart(body->content_type, body->body);
  REQUIRE_MESSAGE(back.ok(), (back.ok() ? "" : back.error().detail));
  CHECK(*back == parts);
}

TEST_CASE("a boundary that is not a token is quoted and still parses") {
  const std::vector<MimePart> parts = {{"application/rlmi+xml", "a@b", "<list/>"}};
  auto body = buildMultipartRelated("two words", parts);
  REQUIRE(body.ok());
  CHECK(body->content_type.substr(body->content_type.size() - 20) == "boundary=\"two words\"");
  auto back = parseMultipart(body->content_type, body->body);
  REQUIRE(back.ok());
  CHECK(*back == parts);
}

TEST_CASE("multipart errors") {
  CHECK(buildMultipartRelated("b", {{"text/plain", "x@y", "a\r\n--b\r\n"}}).error().detail ==
        "multipart: the boundary occurs in a part body");
  CHECK(buildMultipartRelated("b", {{"text/plain", "", "a"}}).error().status == 500);
  CHECK(buildMultipartRelated("b\r\nX: y", {{"text/plain", "x@y", "a"}}).error().status == 500);
  CHECK(parseMultipart("multipart/related", "--b\r\n\r\nx\r\n--b--").error().detail ==
        "multipart: Content-Type without boundary");
  CHECK(parseMultipart("multipart/related;boundary=b", "garbage").error().detail ==
        "multipart: no opening boundary");
  CHECK(parseMultipart("multipart/related;boundary=b", "--b\r\nContent-Type: a/b\r\n\r\nx")
            .error()
            .detail == "multipart: no closing boundary");
  std::string many;
  for (int i = 0; i < 5; ++i) many += "--b\r\n\r\nx\r\n";
  many += "--b--\r\n";
  CHECK(parseMultipart("multipart/related;boundary=\"b\"", many, 4).error().detail ==
        "multipart: more than 4 parts");
  auto ok = parseMultipart("multipart/related;boundary=\"b\"", many, 5);
  REQUIRE(ok.ok());
  CHECK((*ok)[0].content_type == "text/plain");
  CHECK((*ok)[0].body == "x");
  CHECK(makeBoundary(0x0123456789abcdefULL) == "confab-0123456789abcdef");
}

TEST_CASE("an MS batched NOTIFY body: RLMI root plus msrtc-event-categories parts") {
  EventListRequest request;
  request.list_uri = "sip:alice@contoso.com";
  request.version = 0;
  request.full_state = true;
  request.boundary = makeBoundary(42);
  request.cid_domain = "confab.contoso.com";
  request.resources.push_back(ResourceState{
      "sip:bob@contoso.com", "Bob", "b1", InstanceState::Active, "",
      "application/msrtc-event-categories+xml",
      R"(<categories xmlns="http://schemas.microsoft.com/2006/09/sip/categories" uri="sip:bob@contoso.com"/>)"});
  request.resources.push_back(
      ResourceState{"sip:carol@fabrikam.com", "", "c1", InstanceState::Resubscribe, "", "", ""});
  request.resources.push_back(ResourceState{"sip:dan@contoso.com", "", "d1",
                                            InstanceState::Terminated, "noresource", "", ""});
  auto body = buildEventListBody(request);
  REQUIRE_MESSAGE(body.ok(), (body.ok() ? "" : body.error().detail));
  // sipe_process_presence(): the header must name application/rlmi+xml.
  CHECK(body->content_type.find("application/rlmi+xml") != std::string::npos);
  CHECK(body->content_type.rfind("multipart/related;", 0) == 0);

  auto parts = parseMultipart(body->content_type, body->body);
  REQUIRE(parts.ok());
  REQUIRE(parts->size() == 2);  // RLMI + one state document
  CHECK("<" + (*parts)[0].content_id + ">" == contentTypeParameter(body->content_type, "start"));
  auto rlmi = parseRlmi((*parts)[0].body, XmlLimits{});
  REQUIRE(rlmi.ok());
  CHECK(rlmi->full_state);
  REQUIRE(rlmi->resources.size() == 3);
  CHECK(rlmi->resources[0].names[0].text == "Bob");
  // The cid links the RLMI instance to its part.
  CHECK(rlmi->resources[0].instances[0].cid == (*parts)[1].content_id);
  CHECK((*parts)[1].content_type == "application/msrtc-event-categories+xml");
  CHECK(rlmi->resources[1].instances[0].state == InstanceState::Resubscribe);
  CHECK(rlmi->resources[1].instances[0].cid.empty());
  CHECK(rlmi->resources[2].instances[0].reason == "noresource");

  request.cid_domain.clear();
  CHECK(buildEventListBody(request).error().status == 500);
}

TEST_CASE("a contact list as eventlist resources") {
  ContactList list;
  Contact bob;
  bob.uri = "sip:bob@example.com";
  bob.name = "Bob";
  REQUIRE(list.setContact(bob, ContactListLimits{}).ok());
  Contact offline;
  offline.uri = "sip:stored@example.com";
  offline.subscribed = false;
  REQUIRE(list.setContact(offline, ContactListLimits{}).ok());
  const auto resources = listResources(list);
  REQUIRE(resources.size() == 1);
  CHECK(resources[0].uri == "sip:bob@example.com");
  CHECK(resources[0].name == "Bob");
  CHECK(resources[0].state == InstanceState::Pending);
  CHECK(resources[0].instance_id.size() == 8);
  CHECK(listResources(list)[0].instance_id == resources[0].instance_id);  // stable
}

TEST_CASE("RLMI version counter") {
  RlmiVersion v;
  CHECK(v.next() == 0);
  CHECK(v.next() == 1);
}

}  // namespace
}  // namespace core::presence::roaming
