// SPDX-License-Identifier: Apache-2.0
// RFC 4826 resource-lists <-> the contact list.
#include <doctest/doctest.h>

#include "core-server/presence/roaming/resource_lists.h"
#include "core-server/presence/roaming/roaming_testing.h"

namespace core::presence::roaming {
namespace {

using testing::attr;
using testing::parseOk;
using testing::sipeChild;
using testing::sipeChildren;

const ContactListLimits kLimits;

TEST_CASE("a contact list renders as resource-lists, one list per group") {
  ContactList list;
  REQUIRE(list.addGroup("Friends", "", kLimits).ok());
  Contact bob;
  bob.uri = "sip:bob@example.com";
  bob.name = "Bob";
  bob.groups = {1, 2};
  REQUIRE(list.setContact(bob, kLimits).ok());
  const XmlDocument doc = parseOk(renderResourceLists(list));
  CHECK(doc.root().is("urn:ietf:params:xml:ns:resource-lists", "resource-lists"));
  const auto lists = sipeChildren(doc.root(), "list");
  REQUIRE(lists.size() == 2);
  CHECK(attr(lists[0], "name") == "~");
  CHECK(attr(lists[1], "name") == "Friends");
  for (const XmlElement& l : lists) {
    auto entry = sipeChild(l, "entry");
    REQUIRE(entry.has_value());
    CHECK(attr(*entry, "uri") == "sip:bob@example.com");
    CHECK(sipeChild(*entry, "display-name")->text() == "Bob");
  }
}

TEST_CASE("a stored resource-lists document becomes the list's content, step by step") {
  ContactList list;
  REQUIRE(list.addGroup("Old", "", kLimits).ok());
  Contact gone;
  gone.uri = "sip:gone@example.com";
  gone.groups = {2};
  REQUIRE(list.setContact(gone, kLimits).ok());
  Contact kept;
  kept.uri = "sip:kept@example.com";
  kept.subscribed = false;
  REQUIRE(list.setContact(kept, kLimits).ok());

  auto deltas = applyResourceLists(list, R"(<?xml version="1.0"?>
<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
  <list name="Work">
    <entry uri="sip:alice@example.com"><display-name>Alice</display-name></entry>
    <list name="nested"><entry uri="carol@example.com"/></list>
    <entry-ref ref="resource-lists/users/sip:x@y/index/~~/resource-lists/list%5b@name=%22a%22%5d"/>
  </list>
  <list name="~"><entry uri="sip:kept@example.com"/><entry uri="sip:alice@example.com"/></list>
</resource-lists>)",
                                   XmlLimits{}, kLimits);
  REQUIRE_MESSAGE(deltas.ok(), (deltas.ok() ? "" : deltas.error().detail));
  // addGroup Work, setContact alice, carol (kept unchanged), deleteContact gone, deleteGroup Old.
  REQUIRE(deltas->size() == 5);
  CHECK((*deltas)[0].added_groups[0].name == "Work");
  CHECK((*deltas)[4].deleted_groups == std::vector<uint32_t>{2});
  CHECK(list.groupByName("Old") == nullptr);
  const uint32_t work = list.groupByName("Work")->id;
  REQUIRE(list.contact("sip:alice@example.com") != nullptr);
  CHECK(list.contact("sip:alice@example.com")->groups == std::vector<uint32_t>{1, work});
  CHECK(list.contact("sip:alice@example.com")->name == "Alice");
  CHECK(list.contact("sip:carol@example.com")->groups == std::vector<uint32_t>{work});
  CHECK_FALSE(list.contact("sip:kept@example.com")->subscribed);  // kept what the format lacks
  CHECK(list.contact("sip:gone@example.com") == nullptr);
  CHECK(list.deltaNum() == 9);
}

TEST_CASE("bad resource-lists documents") {
  ContactList list;
  auto error = [&list](std::string_view xml) {
    auto r = applyResourceLists(list, xml, XmlLimits{}, kLimits);
    REQUIRE_FALSE(r);
    return r.error().detail;
  };
  CHECK(error(R"(<resource-lists><list name="a"/></resource-lists>)") ==
        "resource-lists: root element must be {urn:ietf:params:xml:ns:resource-lists}"
        "resource-lists, got resource-lists");
  CHECK(
      error(
          R"(<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list/></resource-lists>)") ==
      "resource-lists: top-level <list> without name");
  CHECK(
      error(
          R"(<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="a"><entry/></list></resource-lists>)") ==
      "resource-lists: <entry> without uri");
  CHECK(
      error(
          R"(<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="a"><entry uri="x y"/></list></resource-lists>)") ==
      "resource-lists: invalid entry uri \"x y\"");
  CHECK(list.deltaNum() == 1);
}

}  // namespace
}  // namespace core::presence::roaming
