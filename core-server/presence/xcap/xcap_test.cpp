// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <string>

#include "core-server/presence/xcap/xcap_document.h"
#include "core-server/presence/xcap/xcap_errors.h"
#include "core-server/presence/xcap/xcap_operations.h"
#include "core-server/presence/xcap/xcap_path.h"

namespace core::presence::xcap {
namespace {

constexpr std::string_view kDoc =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">"
    "<list name=\"friends\"><display-name>Friends</display-name>"
    "<entry uri=\"sip:bob@example.test\"><display-name>Bob</display-name></entry>"
    "<entry uri=\"carol@example.test\"/></list>"
    "<list name=\"work\"><entry uri=\"sip:bob@example.test\"/></list>"
    "</resource-lists>";

NodeSelector selector(std::string_view text) {
  auto parsed = parseNodeSelector(text);
  REQUIRE(parsed);
  return *parsed;
}

XcapOutcome run(std::string_view method, std::string_view node, std::string_view body,
                roaming::ContactList* list, XcapConditions conditions = {},
                const XcapLimits& limits = {}) {
  XcapOutcome out = runXcap(method, selector(node), body, conditions, list, limits);
  if (out.next && list != nullptr) {
    *list = *out.next;
  }
  return out;
}

}  // namespace

TEST_CASE("request paths: documents, caps and node selectors") {
  auto doc = parseXcapPath("/xcap/resource-lists/users/sip:Alice@Example.test/index", "/xcap");
  REQUIRE(doc);
  CHECK(doc->target == XcapTarget::ResourceLists);
  CHECK(doc->user == "alice@example.test");
  CHECK(!doc->has_node);

  auto entry = parseXcapPath(
      "/xcap/resource-lists/users/sip:alice@example.test/index/~~/resource-lists/"
      "list[@name=\"friends\"]/entry[@uri='sip:bob@example.test']",
      "/xcap/");
  REQUIRE(entry);
  CHECK(entry->node.kind == NodeKind::Entry);
  CHECK(entry->node.list.value == "friends");
  CHECK(entry->node.entry.value == "sip:bob@example.test");

  auto positional = parseXcapPath(
      "/xcap/resource-lists/users/alice@example.test/index/~~/resource-lists/list[2]", "/xcap");
  REQUIRE(positional);
  CHECK(positional->node.kind == NodeKind::List);
  CHECK(positional->node.list.position == 2u);

  auto caps = parseXcapPath("/xcap/xcap-caps/global/index", "/xcap");
  REQUIRE(caps);
  CHECK(caps->target == XcapTarget::Caps);

  // Slashes inside quoted values do not split steps.
  CHECK(parseNodeSelector("resource-lists/list[@name=\"a/b\"]")->list.value == "a/b");
}

TEST_CASE("request paths: what is refused and how") {
  auto status = [](std::string_view path) {
    auto r = parseXcapPath(path, "/xcap");
    return r ? 0 : r.error().status;
  };
  CHECK(status("/other/resource-lists/users/sip:a@b/index") == 404);
  CHECK(status("/xcap/pres-rules/users/sip:a@b/index") == 404);
  CHECK(status("/xcap/resource-lists/users/sip:a@b/other") == 404);
  CHECK(status("/xcap/resource-lists/global/index") == 404);
  CHECK(status("/xcap/resource-lists/users/alice/index") == 400);
  CHECK(status("/xcap/resource-lists/users/sip:a@b/index/~~/resource-lists/list[@name=\"x]") ==
        400);
  CHECK(status("/xcap/resource-lists/users/sip:a@b/index/~~/rl:resource-lists") == 400);
  CHECK(status("/xcap/resource-lists/users/sip:a@b/index/~~/resource-lists/list[0]") == 400);
  CHECK(status("/xcap/resource-lists/users/sip:a@b/index/~~/resource-lists/list[last()]") == 400);
  CHECK(status("/xcap/resource-lists/users/sip:a@b/index/~~/resource-lists/list") == 404);
  CHECK(status("/xcap/resource-lists/users/sip:a@b/index/~~/resource-lists/list[@uri=\"x\"]") ==
        404);
  CHECK(status("/xcap/resource-lists/users/sip:a@b/index/~~/resource-lists/list[1]/entry[1]/"
               "display-name") == 404);
  CHECK(status("/xcap/resource-lists/users/sip:a@b/index/~~/presence") == 404);
  CHECK(status("/xcap/xcap-caps/global/index/~~/xcap-caps") == 404);
}

TEST_CASE("a document maps onto the contact list and back") {
  roaming::ContactList list;
  auto put = run("PUT", "resource-lists", kDoc, nullptr);
  REQUIRE(put.status == 201);
  REQUIRE(put.next);
  list = *put.next;
  REQUIRE(list.groupByName("friends") != nullptr);
  REQUIRE(list.groupByName("work") != nullptr);
  const roaming::Contact* bob = list.contact("sip:bob@example.test");
  REQUIRE(bob != nullptr);
  CHECK(bob->name == "Bob");
  CHECK(bob->groups.size() == 2);
  CHECK(list.contact("sip:carol@example.test") != nullptr);

  // Round trip: what GET returns is what was stored, and PUTting it back changes nothing.
  const XcapDocument doc = documentOf(list);
  REQUIRE(doc.lists.size() == 3);  // "~" first: the default group is always there
  CHECK(doc.lists[0].name == "~");
  CHECK(doc.lists[1].name == "friends");
  CHECK(doc.lists[1].entries ==
        std::vector<XcapEntry>{{"sip:bob@example.test", "Bob"}, {"sip:carol@example.test", ""}});
  auto reparsed = parseDocument(renderDocument(doc), XmlLimits{});
  REQUIRE(reparsed);
  CHECK(*reparsed == doc);
  auto again = run("PUT", "resource-lists", renderDocument(doc), &list);
  CHECK(again.status == 200);
  CHECK(!again.next);  // nothing changed
  CHECK(again.etag == put.etag);
}

TEST_CASE("lists and entries by selector") {
  roaming::ContactList list;
  REQUIRE(run("PUT", "resource-lists", kDoc, nullptr).next);
  list = *run("PUT", "resource-lists", kDoc, nullptr).next;

  auto got = run("GET", "resource-lists/list[@name=\"friends\"]/entry[@uri=\"bob@example.test\"]",
                 "", &list);
  CHECK(got.status == 200);
  CHECK(got.content_type == kElementType);
  CHECK(got.body.find("<display-name>Bob</display-name>") != std::string::npos);
  CHECK(run("GET", "resource-lists/list[@name=\"nobody\"]", "", &list).status == 404);
  CHECK(run("GET", "resource-lists/list[2]/entry[9]", "", &list).status == 404);

  // Add an entry: 201, the contact exists, in that group.
  auto added =
      run("PUT", "resource-lists/list[@name=\"work\"]/entry[@uri=\"sip:dave@example.test\"]",
          "<entry uri=\"sip:dave@example.test\"><display-name>Dave</display-name></entry>", &list);
  CHECK(added.status == 201);
  REQUIRE(list.contact("sip:dave@example.test") != nullptr);
  CHECK(list.contact("sip:dave@example.test")->name == "Dave");
  CHECK(!added.deltas.empty());

  // Delete bob from friends: still in work.
  CHECK(run("DELETE", "resource-lists/list[@name=\"friends\"]/entry[@uri=\"sip:bob@example.test\"]",
            "", &list)
            .status == 200);
  REQUIRE(list.contact("sip:bob@example.test") != nullptr);
  CHECK(list.contact("sip:bob@example.test")->groups ==
        std::vector<uint32_t>{list.groupByName("work")->id});
  // ... and from work: gone.
  CHECK(run("DELETE", "resource-lists/list[@name=\"work\"]/entry[@uri=\"sip:bob@example.test\"]",
            "", &list)
            .status == 200);
  CHECK(list.contact("sip:bob@example.test") == nullptr);

  // A new list, then deleting it takes its only-member contacts along.
  CHECK(run("PUT", "resource-lists/list[@name=\"family\"]",
            "<?xml version=\"1.0\"?><list name=\"family\"><entry "
            "uri=\"sip:mum@example.test\"/></list>",
            &list)
            .status == 201);
  CHECK(list.contact("sip:mum@example.test") != nullptr);
  CHECK(run("DELETE", "resource-lists/list[@name=\"family\"]", "", &list).status == 200);
  CHECK(list.groupByName("family") == nullptr);
  CHECK(list.contact("sip:mum@example.test") == nullptr);
}

TEST_CASE("conflicts answer 409 with an xcap-error document") {
  roaming::ContactList list = *run("PUT", "resource-lists", kDoc, nullptr).next;
  auto expect409 = [&list](std::string_view method, std::string_view node, std::string_view body,
                           std::string_view element) {
    auto out = run(method, node, body, &list);
    CHECK(out.status == 409);
    CHECK(out.content_type == kXcapErrorType);
    CHECK(out.body.find("<" + std::string(element)) != std::string::npos);
    CHECK(!out.next);
  };
  expect409("PUT", "resource-lists", "<resource-lists", "not-well-formed");
  expect409("PUT", "resource-lists", "<resource-lists xmlns=\"urn:other\"/>",
            "schema-validation-error");
  expect409(
      "PUT", "resource-lists",
      "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list/></resource-lists>",
      "schema-validation-error");
  expect409("PUT", "resource-lists",
            "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list name=\"a\"/>"
            "<list name=\"a\"/></resource-lists>",
            "uniqueness-failure");
  expect409("PUT", "resource-lists/list[@name=\"friends\"]/entry[@uri=\"sip:x@example.test\"]",
            "<entry uri=\"sip:y@example.test\"/>", "cannot-insert");
  expect409("PUT", "resource-lists/list[@name=\"friends\"]/entry[@uri=\"sip:x@example.test\"]",
            "<entry uri=\"sip:x@example.test\"/><entry uri=\"sip:z@example.test\"/>",
            "not-xml-frag");
  expect409("PUT", "resource-lists/list[@name=\"none\"]/entry[@uri=\"sip:x@example.test\"]",
            "<entry uri=\"sip:x@example.test\"/>", "no-parent");
  expect409("PUT", "resource-lists/list[@name=\"friends\"]/entry[@uri=\"sip:x@example.test\"]",
            "<list name=\"friends\"/>", "schema-validation-error");
  expect409("DELETE", "resource-lists/list[@name=\"~\"]", "", "cannot-delete");

  XcapLimits small;
  small.contacts.max_groups = 2;
  auto out = runXcap("PUT", selector("resource-lists"), kDoc, {}, &list, small);
  CHECK(out.status == 409);
  CHECK(out.body.find("constraint-failure") != std::string::npos);
  small = {};
  small.max_entries = 1;
  CHECK(runXcap("PUT", selector("resource-lists"), kDoc, {}, &list, small).status == 409);

  const std::string body = errorDocument(conflict("uniqueness-failure", "two \"lists\""));
  CHECK(body.find("xmlns=\"urn:ietf:params:xml:ns:xcap-error\"") != std::string::npos);
  CHECK(body.find("<uniqueness-failure phrase=\"two &quot;lists&quot;\"/>") != std::string::npos);
}

TEST_CASE("hostile XML is a 409 and changes nothing") {
  roaming::ContactList list = *run("PUT", "resource-lists", kDoc, nullptr).next;
  const std::string before = documentEtag(list);
  const std::string laughs =
      "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
      "\"&lol;&lol;&lol;&lol;\">]><resource-lists "
      "xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list name=\"&lol2;\"/></resource-lists>";
  std::string deep = "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">";
  for (int i = 0; i < 100; ++i) {
    deep += "<list name=\"x\">";
  }
  std::string big = "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list name=\"";
  big += std::string(200000, 'a');
  big += "\"/></resource-lists>";
  for (const std::string& body : {laughs, deep, big, std::string("\xff\xfe<"), std::string()}) {
    auto out = run("PUT", "resource-lists", body, &list);
    CHECK(out.status == 409);
    CHECK(out.body.find("not-well-formed") != std::string::npos);
  }
  auto entity_in_element =
      run("PUT", "resource-lists/list[@name=\"friends\"]/entry[@uri=\"sip:x@example.test\"]",
          "<!DOCTYPE x [<!ENTITY e \"e\">]><entry uri=\"sip:x@example.test\"/>", &list);
  CHECK(entity_in_element.status == 409);
  CHECK(documentEtag(list) == before);
}

TEST_CASE("ETags and conditional requests") {
  XcapConditions any_match{"*", ""};
  // No document yet: If-Match fails, GET is 404, PUT with If-None-Match: * creates it.
  CHECK(runXcap("GET", selector("resource-lists"), "", {}, nullptr, {}).status == 404);
  CHECK(runXcap("PUT", selector("resource-lists"), kDoc, any_match, nullptr, {}).status == 412);
  auto created = runXcap("PUT", selector("resource-lists"), kDoc, {"", "*"}, nullptr, {});
  REQUIRE(created.status == 201);
  roaming::ContactList list = *created.next;
  const std::string etag = created.etag;
  CHECK(etag.size() == 26);
  CHECK(etag == documentEtag(list));

  // The ETag depends only on the content.
  CHECK(documentEtag(*runXcap("PUT", selector("resource-lists"), kDoc, {}, nullptr, {}).next) ==
        etag);
  CHECK(run("GET", "resource-lists", "", &list).etag == etag);
  // An existing document: If-None-Match: * refuses a PUT, a matching one gives a GET 304.
  CHECK(run("PUT", "resource-lists", kDoc, &list, {"", "*"}).status == 412);
  CHECK(run("GET", "resource-lists", "", &list, {"", etag}).status == 304);
  CHECK(run("GET", "resource-lists", "", &list, {"", "\"other\""}).status == 200);
  // If-Match: a stale ETag is 412 and changes nothing; the current one works.
  const std::string entry =
      "resource-lists/list[@name=\"work\"]/entry[@uri=\"sip:e@example.test\"]";
  CHECK(run("PUT", entry, "<entry uri=\"sip:e@example.test\"/>", &list, {"\"stale\"", ""}).status ==
        412);
  CHECK(list.contact("sip:e@example.test") == nullptr);
  auto changed =
      run("PUT", entry, "<entry uri=\"sip:e@example.test\"/>", &list, {"\"stale\", " + etag, ""});
  CHECK(changed.status == 201);
  CHECK(changed.etag != etag);
  CHECK(run("PUT", entry, "<entry uri=\"sip:e@example.test\"/>", &list, {etag, ""}).status == 412);

  CHECK(etagMatches("W/\"a\", \"b\"", "\"a\""));
  CHECK(!etagMatches("\"a\"", "\"b\""));
  CHECK(!etagMatches("", "\"b\""));
}

TEST_CASE("DELETE of the document empties the list") {
  roaming::ContactList list = *run("PUT", "resource-lists", kDoc, nullptr).next;
  auto out = run("DELETE", "resource-lists", "", &list);
  CHECK(out.status == 200);
  CHECK(list.contacts().empty());
  CHECK(list.groups().size() == 1);  // the default group stays
}

}  // namespace core::presence::xcap
