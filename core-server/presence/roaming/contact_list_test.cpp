// SPDX-License-Identifier: Apache-2.0
// The contact-list model: operations, delta numbers and the JSON storage form.
#include <doctest/doctest.h>

#include "core-server/presence/roaming/contact_list.h"
#include "core-server/presence/roaming/contact_list_json.h"

namespace core::presence::roaming {
namespace {

const ContactListLimits kLimits;

Contact contact(std::string uri, std::vector<uint32_t> groups = {}, std::string name = {}) {
  Contact c;
  c.uri = std::move(uri);
  c.groups = std::move(groups);
  c.name = std::move(name);
  return c;
}

TEST_CASE("a new list holds the default group ~ with id 1 and delta number 1") {
  ContactList list;
  CHECK(list.deltaNum() == 1);
  REQUIRE(list.groups().size() == 1);
  CHECK(list.groups()[0] == ContactGroup{1, "~", ""});
  CHECK(list.contacts().empty());
}

TEST_CASE("every change bumps the delta number by one and reports what changed") {
  ContactList list;
  auto g = list.addGroup("Friends", "", kLimits);
  REQUIRE(g.ok());
  CHECK(g->delta_num == 2);
  REQUIRE(g->added_groups.size() == 1);
  CHECK(g->added_groups[0].id == 2);
  CHECK(list.deltaNum() == 2);

  auto c = list.setContact(contact("bob@example.com", {2}, "Bobby"), kLimits);
  REQUIRE(c.ok());
  CHECK(c->delta_num == 3);
  REQUIRE(c->added_contacts.size() == 1);
  CHECK(c->added_contacts[0].uri == "sip:bob@example.com");  // normalised
  CHECK(c->added_contacts[0].groups == std::vector<uint32_t>{2});

  // The same contact again is not a change.
  auto same = list.setContact(contact("sip:bob@example.com", {2}, "Bobby"), kLimits);
  REQUIRE(same.ok());
  CHECK(same->empty());
  CHECK(same->delta_num == 3);

  auto moved = list.setContact(contact("SIP:Bob@example.com", {1, 2, 2}, "Bobby"), kLimits);
  REQUIRE(moved.ok());
  REQUIRE(moved->modified_contacts.size() == 1);
  CHECK(moved->modified_contacts[0].uri == "sip:bob@example.com");  // existing spelling kept
  CHECK(moved->modified_contacts[0].groups == std::vector<uint32_t>{1, 2});
  CHECK(list.deltaNum() == 4);

  auto renamed = list.modifyGroup(2, "Pals", "", kLimits);
  REQUIRE(renamed.ok());
  CHECK(renamed->modified_groups == std::vector<ContactGroup>{{2, "Pals", ""}});

  auto deleted = list.deleteContact("sip:bob@example.com");
  REQUIRE(deleted.ok());
  CHECK(deleted->deleted_contacts == std::vector<std::string>{"sip:bob@example.com"});
  CHECK(list.deltaNum() == 6);
  CHECK(list.contact("bob@example.com") == nullptr);
}

TEST_CASE("no groups means the default group; new group ids fill the lowest gap") {
  ContactList list;
  auto c = list.setContact(contact("sip:carol@example.com"), kLimits);
  REQUIRE(c.ok());
  CHECK(c->added_contacts[0].groups == std::vector<uint32_t>{kDefaultGroupId});

  REQUIRE(list.addGroup("A", "", kLimits).ok());  // 2
  REQUIRE(list.addGroup("B", "", kLimits).ok());  // 3
  REQUIRE(list.deleteGroup(2).ok());
  auto again = list.addGroup("C", "", kLimits);
  REQUIRE(again.ok());
  CHECK(again->added_groups[0].id == 2);
}

TEST_CASE("deleting a group deletes contacts only in it and modifies the others") {
  ContactList list;
  REQUIRE(list.addGroup("Work", "", kLimits).ok());  // 2
  REQUIRE(list.setContact(contact("sip:a@x.com", {2}), kLimits).ok());
  REQUIRE(list.setContact(contact("sip:b@x.com", {1, 2}), kLimits).ok());
  auto d = list.deleteGroup(2);
  REQUIRE(d.ok());
  CHECK(d->deleted_groups == std::vector<uint32_t>{2});
  CHECK(d->deleted_contacts == std::vector<std::string>{"sip:a@x.com"});
  REQUIRE(d->modified_contacts.size() == 1);
  CHECK(d->modified_contacts[0].groups == std::vector<uint32_t>{1});
  CHECK(list.group(2) == nullptr);
}

TEST_CASE("invalid operations are refused with a status and a reason") {
  ContactList list;
  CHECK(list.deleteGroup(kDefaultGroupId).error().status == 403);
  CHECK(list.deleteGroup(9).error().status == 404);
  CHECK(list.modifyGroup(9, "x", "", kLimits).error().status == 404);
  CHECK(list.deleteContact("sip:nobody@x.com").error().status == 404);
  CHECK(list.addGroup("~", "", kLimits).error().status == 409);
  CHECK(list.addGroup("  ", "", kLimits).error().detail == "group name is empty");
  CHECK(list.addGroup("a\x01", "", kLimits).error().detail ==
        "group name contains control characters");

  auto unknown = list.setContact(contact("sip:a@x.com", {7}), kLimits);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().detail == "contact sip:a@x.com names unknown group 7");
  CHECK(list.setContact(contact("not a uri"), kLimits).error().status == 400);
  CHECK(list.setContact(contact("sip:@x.com"), kLimits).error().status == 400);
  CHECK(
      list.setContact(contact("sip:" + std::string(500, 'a') + "@x.com"), kLimits).error().status ==
      400);

  Contact bad_ext = contact("sip:a@x.com");
  bad_ext.extension = "<unclosed>";
  auto ext = list.setContact(bad_ext, kLimits);
  REQUIRE_FALSE(ext);
  CHECK(ext.error().detail.rfind("contactExtension: XML", 0) == 0);
  CHECK(list.deltaNum() == 1);  // nothing above changed the list
}

TEST_CASE("limits on groups and contacts answer 507") {
  ContactListLimits small;
  small.max_groups = 2;
  small.max_contacts = 1;
  ContactList list;
  REQUIRE(list.addGroup("A", "", small).ok());
  CHECK(list.addGroup("B", "", small).error().status == 507);
  REQUIRE(list.setContact(contact("sip:a@x.com"), small).ok());
  CHECK(list.setContact(contact("sip:b@x.com"), small).error().status == 507);
  CHECK(list.setContact(contact("sip:a@x.com", {2}), small).ok());  // modifying still works
}

TEST_CASE("normalizeContactUri") {
  CHECK(normalizeContactUri("bob@example.com") == "sip:bob@example.com");
  CHECK(normalizeContactUri(" SIP:bob@example.com ") == "sip:bob@example.com");
  CHECK(normalizeContactUri("sips:bob@example.com") == "sips:bob@example.com");
  CHECK(normalizeContactUri("tel:+4930123") == "tel:+4930123");
  CHECK(normalizeContactUri("").empty());
  CHECK(normalizeContactUri("sip:").empty());
  CHECK(normalizeContactUri("bob").empty());
  CHECK(normalizeContactUri("bob@").empty());
  CHECK(normalizeContactUri("b ob@x.com").empty());
  CHECK(uriWithoutSipScheme("sip:bob@x.com") == "bob@x.com");
  CHECK(uriWithoutSipScheme("tel:+1") == "tel:+1");
}

TEST_CASE("JSON storage round-trips a list, extension and all") {
  ContactList list;
  REQUIRE(list.addGroup("Friends & \"family\"", "ldap://x", kLimits).ok());
  Contact c = contact("sip:bob@example.com", {1, 2}, "Bob <3");
  c.subscribed = false;
  c.external_uri = "http://x/bob";
  c.extension = R"(<ext xmlns="urn:x"><tag>v</tag></ext>)";
  REQUIRE(list.setContact(c, kLimits).ok());
  REQUIRE(list.setContact(contact("tel:+4930123"), kLimits).ok());

  const std::string json = contactListToJson(list);
  auto back = contactListFromJson(json, kLimits);
  REQUIRE_MESSAGE(back.ok(), (back.ok() ? "" : back.error().detail));
  CHECK(back->deltaNum() == list.deltaNum());
  CHECK(back->groups() == list.groups());
  CHECK(back->contacts() == list.contacts());
  CHECK(contactListToJson(*back) == json);
}

TEST_CASE("stored JSON that is not a valid list is a 500 with a reason") {
  auto check = [](std::string_view json, std::string_view detail) {
    auto r = contactListFromJson(json, kLimits);
    REQUIRE_FALSE(r);
    CHECK(r.error().status == 500);
    CHECK(r.error().detail == detail);
  };
  check("not json", "stored contact list is not a JSON object");
  check("[]", "stored contact list is not a JSON object");
  check(R"({"v":2})", "stored contact list has an unknown format version");
  check(R"({"v":1,"deltaNum":"3","groups":[],"contacts":[]})",
        "stored contact list lacks deltaNum, groups or contacts");
  check(R"({"v":1,"deltaNum":3,"groups":[{"id":-1,"name":"x","externalURI":""}],"contacts":[]})",
        "stored contact list has a malformed group");
  check(R"({"v":1,"deltaNum":3,"groups":[],"contacts":[{"uri":"sip:a@b"}]})",
        "stored contact list has a malformed contact");
  check(R"({"v":1,"deltaNum":0,"groups":[],"contacts":[]})",
        "stored contact list is invalid: contact list: deltaNum must be non-zero");
  check(R"({"v":1,"deltaNum":3,"groups":[{"id":1,"name":"~","externalURI":""},)"
        R"({"id":1,"name":"y","externalURI":""}],"contacts":[]})",
        "stored contact list is invalid: contact list: duplicate group id 1");
  check(R"({"v":1,"deltaNum":3,"groups":[{"id":1,"name":"~","externalURI":""},)"
        R"({"id":2,"name":"~","externalURI":""}],"contacts":[]})",
        "stored contact list is invalid: contact list: duplicate group name \"~\"");
  // A list stored without the default group gets it back.
  auto r = contactListFromJson(R"({"v":1,"deltaNum":3,"groups":[],"contacts":[]})", kLimits);
  REQUIRE(r.ok());
  CHECK(r->group(kDefaultGroupId) != nullptr);
}

}  // namespace
}  // namespace core::presence::roaming
