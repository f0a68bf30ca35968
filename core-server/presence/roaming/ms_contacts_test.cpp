// SPDX-License-Identifier: Apache-2.0
// MS roaming contacts: the SOAP requests as sipe and the MS-SIP examples send
// them, the answers, and the contactList/contactDelta documents read the way
// sipe_process_roaming_contacts() reads them.
#include <doctest/doctest.h>

#include "core-server/presence/roaming/contact_list.h"
#include "core-server/presence/roaming/ms_contact_soap.h"
#include "core-server/presence/roaming/ms_roaming_contacts.h"
#include "core-server/presence/roaming/roaming_testing.h"

namespace core::presence::roaming {
namespace {

using testing::attr;
using testing::parseOk;
using testing::sipeChild;
using testing::sipeChildren;

const ContactListLimits kLimits;

// The envelope sip-soap.c sip_soap_request_full() builds around a method body.
std::string sipeSoap(std::string_view method, std::string_view request, uint64_t delta) {
  return "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\""
         " xmlns:m=\"http://schemas.microsoft.com/winrtc/2002/11/sip\"><s:Body><m:" +
         std::string(method) + ">" + std::string(request) + "<m:deltaNum>" + std::to_string(delta) +
         "</m:deltaNum></m:" + std::string(method) + "></s:Body></s:Envelope>";
}

ContactSoapRequest parseSoapOk(std::string_view xml) {
  auto r = parseContactSoap(xml, XmlLimits{});
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().detail));
  return std::move(*r);
}

ContactSoapOutcome applyOk(ContactList& list, std::string_view xml) {
  auto r = applyContactSoap(list, parseSoapOk(xml), kLimits);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().detail));
  return std::move(*r);
}

TEST_CASE("sipe's addGroup gets a response carrying the new group id at Body/addGroup/groupID") {
  ContactList list;
  // sipe-group.c sipe_group_create(): name, then an empty externalURI.
  const auto out =
      applyOk(list, sipeSoap("addGroup", "<m:name>Friends</m:name><m:externalURI />", 1));
  REQUIRE(out.delta.added_groups.size() == 1);
  CHECK(out.delta.added_groups[0] == ContactGroup{2, "Friends", ""});
  const XmlDocument doc = parseOk(out.response_body);
  CHECK(doc.root().is("http://schemas.xmlsoap.org/soap/envelope/", "Envelope"));
  auto id = sipeChild(doc.root(), "Body/addGroup/groupID");
  REQUIRE(id.has_value());
  CHECK(id->text() == "2");
  CHECK(id->ns() == "http://schemas.microsoft.com/winrtc/2002/11/sip");

  // Asking again for the same name gets the same id and changes nothing.
  const auto again =
      applyOk(list, sipeSoap("addGroup", "<m:name>Friends</m:name><m:externalURI />", 2));
  CHECK(again.delta.empty());
  CHECK(sipeChild(parseOk(again.response_body).root(), "Body/addGroup/groupID")->text() == "2");
}

TEST_CASE("sipe's setContact, modifyGroup, deleteContact and deleteGroup") {
  ContactList list;
  applyOk(list, sipeSoap("addGroup", "<m:name>Work &amp; Co</m:name><m:externalURI />", 1));
  // sipe-group.c send_buddy_update().
  auto set = applyOk(list, sipeSoap("setContact",
                                    "<m:displayName>Bob B.</m:displayName><m:groups>1 2</m:groups>"
                                    "<m:subscribed>true</m:subscribed>"
                                    "<m:URI>sip:bob@contoso.com</m:URI><m:externalURI />",
                                    2));
  CHECK(set.response_body.empty());  // MS-SIP §4.6: the 200 OK has no body
  REQUIRE(set.delta.added_contacts.size() == 1);
  const Contact& bob = set.delta.added_contacts[0];
  CHECK(bob.uri == "sip:bob@contoso.com");
  CHECK(bob.name == "Bob B.");
  CHECK(bob.groups == std::vector<uint32_t>{1, 2});
  CHECK(bob.subscribed);

  // sipe_core_group_rename().
  auto renamed = applyOk(list, sipeSoap("modifyGroup",
                                        "<m:groupID>2</m:groupID><m:name>Office</m:name>"
                                        "<m:externalURI />",
                                        3));
  CHECK(renamed.delta.modified_groups == std::vector<ContactGroup>{{2, "Office", ""}});
  // sipe_core_buddy_remove().
  auto removed = applyOk(list, sipeSoap("deleteContact", "<m:URI>sip:bob@contoso.com</m:URI>", 4));
  CHECK(removed.delta.deleted_contacts == std::vector<std::string>{"sip:bob@contoso.com"});
  // sipe_core_group_remove().
  auto group_gone = applyOk(list, sipeSoap("deleteGroup", "<m:groupID>2</m:groupID>", 5));
  CHECK(group_gone.delta.deleted_groups == std::vector<uint32_t>{2});
  CHECK(list.deltaNum() == 6);
}

TEST_CASE("the MS-SIP §4.6 setContact example, SOAP-ENV prefix and all") {
  const auto r = parseSoapOk(
      R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">
  <SOAP-ENV:Body>
    <m:setContact xmlns:m="http://schemas.microsoft.com/winrtc/2002/11/sip">
      <m:displayName>buddy 1</m:displayName>
      <m:groups />
      <m:subscribed>true</m:subscribed>
      <m:URI>sip:user4@server.contoso.com</m:URI>
      <m:externalURI />
      <m:contactExtension><ext xmlns="urn:x">data</ext></m:contactExtension>
      <m:deltaNum>12</m:deltaNum>
    </m:setContact>
  </SOAP-ENV:Body>
</SOAP-ENV:Envelope>)");
  CHECK(r.method == ContactSoapMethod::SetContact);
  CHECK(r.delta_num == 12u);
  CHECK(r.contact.uri == "sip:user4@server.contoso.com");
  CHECK(r.contact.name == "buddy 1");
  CHECK(r.contact.groups.empty());
  CHECK(r.contact.extension == R"(<ext xmlns="urn:x">data</ext>)");
  ContactList list;
  auto out = applyContactSoap(list, r, kLimits);
  REQUIRE(out.ok());
  CHECK(out->delta.added_contacts[0].groups == std::vector<uint32_t>{kDefaultGroupId});
}

TEST_CASE("hostile or malformed SOAP is a 400 with a reason; unsupported methods 501") {
  auto error = [](std::string_view xml) {
    auto r = parseContactSoap(xml, XmlLimits{});
    REQUIRE_FALSE(r);
    return r.error();
  };
  CHECK(error("<Envelope/>").detail ==
        "SOAP: root element must be {http://schemas.xmlsoap.org/soap/envelope/}Envelope, got "
        "Envelope");
  CHECK(error(R"(<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"/>)").detail ==
        "SOAP: Envelope without Body");
  CHECK(error(R"(<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>)"
              R"(<setContact xmlns="urn:wrong"/></s:Body></s:Envelope>)")
            .detail ==
        "SOAP: method must be in namespace http://schemas.microsoft.com/winrtc/2002/11/sip, got "
        "{urn:wrong}setContact");
  CHECK(error(sipeSoap("setContact", "<m:displayName>x</m:displayName>", 1)).detail ==
        "SOAP setContact: missing <m:URI>");
  CHECK(error(sipeSoap("setContact", "<m:URI>sip:a@b</m:URI><m:groups>1 x</m:groups>", 1)).detail ==
        "SOAP setContact: <m:groups> holds a non-numeric group id");
  CHECK(error(sipeSoap("setContact", "<m:URI>sip:a@b</m:URI><m:subscribed>maybe</m:subscribed>", 1))
            .detail == "SOAP setContact: <m:subscribed> is not a boolean");
  CHECK(error(sipeSoap("deleteGroup", "<m:groupID>-1</m:groupID>", 1)).detail ==
        "SOAP deleteGroup: <m:groupID> is not a number");
  CHECK(error(sipeSoap("addGroup", "<m:externalURI/>", 1)).detail ==
        "SOAP addGroup: missing <m:name>");
  CHECK(error(sipeSoap("deleteContact", "<m:URI>sip:a@b</m:URI>", 99999999999)).detail ==
        "SOAP: <m:deltaNum> is not a number");
  CHECK(error(sipeSoap("fooBar", "", 1)).detail == "SOAP: unknown method fooBar");
  const auto ace = error(sipeSoap("setACE", "<m:type>USER</m:type>", 1));
  CHECK(ace.status == 501);
  CHECK(ace.detail == "SOAP method setACE is not supported");

  // Entity tricks and depth bombs never get past the hardened parser.
  CHECK(
      error(
          R"(<!DOCTYPE s [<!ENTITY a "aaaa">]><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"/>)")
          .status == 400);
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "<a>";
  CHECK(error(deep).status == 400);
  CHECK(error(std::string(70 * 1024, ' ') + "<a/>").status == 400);

  // A well-formed request the list refuses keeps the list's status.
  ContactList list;
  auto bad_group = applyContactSoap(
      list,
      parseSoapOk(sipeSoap("setContact", "<m:URI>sip:a@b.com</m:URI><m:groups>9</m:groups>", 1)),
      kLimits);
  REQUIRE_FALSE(bad_group);
  CHECK(bad_group.error().detail == "contact sip:a@b.com names unknown group 9");
}

TEST_CASE("the full contactList reads as sipe reads it") {
  ContactList list;
  REQUIRE(list.addGroup("Friends", "", kLimits).ok());
  Contact bob;
  bob.uri = "sip:bob@contoso.com";
  bob.name = "Bob";
  bob.groups = {1, 2};
  bob.extension = R"(<ext xmlns="urn:x">1</ext>)";
  REQUIRE(list.setContact(bob, kLimits).ok());

  const std::string xml = renderContactList(list);
  const XmlDocument doc = parseOk(xml);
  const XmlElement root = doc.root();
  CHECK(root.local() == "contactList");
  CHECK(root.ns().empty());
  CHECK(attr(root, "deltaNum") == "3");
  CHECK(attr(root, "ucsmode") == "<absent>");  // else sipe switches to Lync 2013/UCS mode

  const auto groups = sipeChildren(root, "group");
  REQUIRE(groups.size() == 2);
  CHECK(attr(groups[0], "id") == "1");
  CHECK(attr(groups[0], "name") == "~");  // get_group_name(): "Other Contacts"
  CHECK(attr(groups[1], "id") == "2");
  CHECK(attr(groups[1], "name") == "Friends");

  const auto contacts = sipeChildren(root, "contact");
  REQUIRE(contacts.size() == 1);
  CHECK(attr(contacts[0], "uri") == "bob@contoso.com");  // sipe prepends "sip:"
  CHECK(attr(contacts[0], "name") == "Bob");
  CHECK(attr(contacts[0], "groups") == "1 2");  // g_strsplit(groups, " ")
  CHECK(attr(contacts[0], "subscribed") == "true");
  CHECK(attr(contacts[0], "externalURI").empty());
  auto ext = sipeChild(contacts[0], "contactExtension/ext");
  REQUIRE(ext.has_value());
  CHECK(ext->ns() == "urn:x");
}

TEST_CASE("contactDelta carries each change the way sipe's delta branch reads it") {
  ContactList list;
  auto added = list.addGroup("Friends", "", kLimits);
  REQUIRE(added.ok());
  const XmlDocument g = parseOk(renderContactDelta(*added));
  CHECK(g.root().local() == "contactDelta");
  CHECK(attr(g.root(), "deltaNum") == "2");
  CHECK(attr(g.root(), "prevDeltaNum") == "1");
  REQUIRE(sipeChildren(g.root(), "addedGroup").size() == 1);
  CHECK(attr(sipeChildren(g.root(), "addedGroup")[0], "id") == "2");
  CHECK(attr(sipeChildren(g.root(), "addedGroup")[0], "name") == "Friends");

  Contact bob;
  bob.uri = "bob@contoso.com";
  bob.groups = {2};
  auto c = list.setContact(bob, kLimits);
  REQUIRE(c.ok());
  const XmlDocument a = parseOk(renderContactDelta(*c));
  const auto contacts = sipeChildren(a.root(), "addedContact");
  REQUIRE(contacts.size() == 1);
  CHECK(attr(contacts[0], "uri") == "sip:bob@contoso.com");  // used as-is to find the buddy
  CHECK(attr(contacts[0], "groups") == "2");

  auto d = list.deleteGroup(2);
  REQUIRE(d.ok());
  const XmlDocument del = parseOk(renderContactDelta(*d));
  CHECK(attr(sipeChildren(del.root(), "deletedGroup")[0], "id") == "2");
  CHECK(attr(sipeChildren(del.root(), "deletedContact")[0], "uri") == "sip:bob@contoso.com");
}

TEST_CASE("contactList and contactDelta round-trip") {
  ContactList list;
  REQUIRE(list.addGroup("Friends", "ldap://g", kLimits).ok());
  Contact bob;
  bob.uri = "sip:bob@contoso.com";
  bob.name = "Bob";
  bob.groups = {1, 2};
  bob.subscribed = false;
  bob.extension = R"(<ext xmlns="urn:x">1</ext>)";
  auto added = list.setContact(bob, kLimits);
  REQUIRE(added.ok());

  auto full = parseRoamingContacts(renderContactList(list), XmlLimits{}, kLimits);
  REQUIRE_MESSAGE(full.ok(), (full.ok() ? "" : full.error().detail));
  CHECK(full->full);
  CHECK(full->list.deltaNum() == list.deltaNum());
  CHECK(full->list.groups() == list.groups());
  CHECK(full->list.contacts() == list.contacts());

  auto delta = parseRoamingContacts(renderContactDelta(*added), XmlLimits{}, kLimits);
  REQUIRE(delta.ok());
  CHECK_FALSE(delta->full);
  CHECK(delta->delta == *added);
  auto removed = list.deleteGroup(2);
  REQUIRE(removed.ok());
  CHECK(parseRoamingContacts(renderContactDelta(*removed), XmlLimits{}, kLimits)->delta ==
        *removed);
}

TEST_CASE("bad roaming-contacts documents") {
  auto error = [](std::string_view xml) {
    auto r = parseRoamingContacts(xml, XmlLimits{}, kLimits);
    REQUIRE_FALSE(r);
    return r.error().detail;
  };
  CHECK(error("<contacts/>") ==
        "roaming contacts: root must be contactList or contactDelta, got contacts");
  CHECK(error(R"(<contactList deltaNum="0"/>)") ==
        "roaming contacts: deltaNum missing, zero or not a number");
  CHECK(error(R"(<contactList deltaNum="2"><group name="x"/></contactList>)") ==
        "roaming contacts: <group> id missing or not a number");
  CHECK(error(R"(<contactList deltaNum="2"><contact groups="1"/></contactList>)") ==
        "roaming contacts: <contact> without uri");
  CHECK(error(R"(<contactList deltaNum="2"><contact uri="a@b.com" groups="1 z"/></contactList>)") ==
        "roaming contacts: non-numeric group id in groups");
  CHECK(error(R"(<contactList deltaNum="2"><contact uri="a@b.com" groups="5"/></contactList>)") ==
        "roaming contacts: contact sip:a@b.com names unknown group 5");
}

TEST_CASE("text from clients is escaped in every document") {
  ContactList list;
  Contact c;
  c.uri = "sip:x@y.com";
  c.name = "<\"&'>";
  REQUIRE(list.setContact(c, kLimits).ok());
  REQUIRE(list.addGroup("a<b", "", kLimits).ok());
  const XmlDocument doc = parseOk(renderContactList(list));
  CHECK(attr(sipeChildren(doc.root(), "contact")[0], "name") == "<\"&'>");
  CHECK(attr(sipeChildren(doc.root(), "group")[1], "name") == "a<b");
}

}  // namespace
}  // namespace core::presence::roaming
