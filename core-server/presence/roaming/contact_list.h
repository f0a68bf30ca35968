// SPDX-License-Identifier: Apache-2.0
// A user's server-side contact list: groups and contacts, the one model behind
// both the MS roaming-contacts documents (ms_roaming_contacts.h) and the RFC 4662
// resource list (rlmi.h). Every change bumps the list's delta number (MS-SIP
// §3.7: one version number per list) and returns a ContactListDelta saying what
// changed, which is exactly what a <contactDelta> notification carries.
// A plain value owned by the shard that owns the user; storage keeps it as JSON
// (contact_list_json.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"

namespace core::presence::roaming {

// MS-SIP §3.7.4.4: every list has group 1, created by the server and never
// deleted. OCS names it "~", which sipe (get_group_name) shows as "Other Contacts".
inline constexpr uint32_t kDefaultGroupId = 1;
inline constexpr std::string_view kDefaultGroupName = "~";

struct ContactGroup {
  uint32_t id = 0;
  std::string name;
  std::string external_uri;

  bool operator==(const ContactGroup&) const = default;
};

struct Contact {
  std::string uri;               // normalised: "sip:bob@example.com" (normalizeContactUri)
  std::string name;              // the user's alias for the contact; "" = use the contact card
  std::vector<uint32_t> groups;  // ascending, at least one
  bool subscribed = true;        // false = stored only, no presence subscription
  std::string external_uri;
  // The children of <contactExtension>, as self-contained XML written back
  // verbatim (MS-SIP §2.2.4.1: "any generic XML"); "" when absent.
  std::string extension;

  bool operator==(const Contact&) const = default;
};

// Bounds from MS-SIP (64 groups per list) and the OCS WMI contact classes
// (MSFT_SIPESUserContactData: name 256, SIP URI 454, external URL 2048 chars).
struct ContactListLimits {
  size_t max_groups = 64;
  size_t max_contacts = 1000;
  size_t max_name_bytes = 256;
  size_t max_uri_bytes = 454;
  size_t max_external_uri_bytes = 2048;
  size_t max_extension_bytes = 4096;
};

// What one operation changed, in <contactDelta> order (MS-SIP §3.7).
struct ContactListDelta {
  uint32_t delta_num = 0;  // the list's delta number after the change
  std::vector<ContactGroup> added_groups;
  std::vector<ContactGroup> modified_groups;
  std::vector<Contact> added_contacts;
  std::vector<Contact> modified_contacts;
  std::vector<uint32_t> deleted_groups;
  std::vector<std::string> deleted_contacts;  // normalised URIs

  // True when the operation changed nothing (the delta number did not move).
  bool empty() const;
  bool operator==(const ContactListDelta&) const = default;
};

class ContactList {
 public:
  // A new list: the default group only, delta number 1 (MS-SIP: it MUST be non-zero).
  ContactList();

  // A list read back from storage, validated like the operations validate
  // client input (the default group is added if it is missing).
  static proxy::Result<ContactList> restore(uint32_t delta_num, std::vector<ContactGroup> groups,
                                            std::vector<Contact> contacts,
                                            const ContactListLimits& limits);

  uint32_t deltaNum() const { return delta_num_; }
  const std::vector<ContactGroup>& groups() const { return groups_; }  // by ascending id
  const std::vector<Contact>& contacts() const { return contacts_; }   // in insertion order

  const ContactGroup* group(uint32_t id) const;
  const ContactGroup* groupByName(std::string_view name) const;
  const Contact* contact(std::string_view uri) const;  // any spelling normalizeContactUri accepts

  // The operations. Errors: 400 invalid input (empty or oversized name, bad URI,
  // unknown group id in a contact, malformed extension XML), 403 touching the
  // default group's existence, 404 unknown group/contact, 409 duplicate group
  // name, 507 a limit reached.

  // The new group's id is delta.added_groups[0].id (the lowest free id >= 2).
  proxy::Result<ContactListDelta> addGroup(std::string_view name, std::string_view external_uri,
                                           const ContactListLimits& limits);
  proxy::Result<ContactListDelta> modifyGroup(uint32_t id, std::string_view name,
                                              std::string_view external_uri,
                                              const ContactListLimits& limits);
  // Contacts left in no group are deleted with it, contacts in other groups too
  // are modified (OCS sends the same two kinds of change, sipe-notify.c).
  proxy::Result<ContactListDelta> deleteGroup(uint32_t id);
  // Adds or replaces the contact with this URI (MS-SIP setContact). No groups
  // means the default group. Setting an identical contact is not a change.
  proxy::Result<ContactListDelta> setContact(Contact contact, const ContactListLimits& limits);
  proxy::Result<ContactListDelta> deleteContact(std::string_view uri);

 private:
  proxy::Result<void> validateContact(Contact& contact, const ContactListLimits& limits) const;
  ContactGroup* mutableGroup(uint32_t id);
  ContactListDelta commit(ContactListDelta delta);

  uint32_t delta_num_ = 1;
  std::vector<ContactGroup> groups_;
  std::vector<Contact> contacts_;
};

// "bob@example.com" -> "sip:bob@example.com"; the scheme (sip, sips, tel) is
// lower-cased and kept. "" when the text cannot be a contact URI (empty, blanks
// or control characters, no user part for sip/sips).
std::string normalizeContactUri(std::string_view uri);

// "sip:bob@example.com" -> "bob@example.com" (what OCS writes in a full list).
std::string_view uriWithoutSipScheme(std::string_view uri);

}  // namespace core::presence::roaming
