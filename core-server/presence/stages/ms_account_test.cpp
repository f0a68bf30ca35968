// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/stages/ms_account.h"

#include <doctest/doctest.h>

namespace core::presence {
namespace {

constexpr std::string_view kPublish =
    R"(<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="sip:alice@example.test">
<publication categoryName="state" instance="536870912" container="2" version="VU" expireType="static"><state xmlns="http://schemas.microsoft.com/2006/09/sip/state" manual="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="userState"><availability>6500</availability><endpointLocation/></state></publication>
<publication categoryName="state" instance="993308598" container="2" version="VM" expireType="endpoint"><state xmlns="http://schemas.microsoft.com/2006/09/sip/state" manual="false" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="machineState"><availability>3500</availability><endpointLocation/></state></publication>
<publication categoryName="note" instance="0" container="200" version="VN" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">in the lab</body></note></publication>
</publications></publish>)";

CategoryPublish publishWith(uint32_t user, uint32_t machine, uint32_t note) {
  std::string xml(kPublish);
  xml.replace(xml.find("VU"), 2, std::to_string(user));
  xml.replace(xml.find("VM"), 2, std::to_string(machine));
  xml.replace(xml.find("VN"), 2, std::to_string(note));
  auto parsed = parseCategoryPublish(xml, XmlLimits{});
  REQUIRE(parsed);
  return std::move(*parsed);
}

TEST_CASE("category publications carry versions; stale ones conflict and change nothing") {
  MsAccount account;
  auto first = applyCategoryPublish(account, publishWith(0, 0, 0), "ep1", 100);
  CHECK(first.conflicts.empty());
  CHECK(first.changed);
  CHECK(account.categories.size() == 3);
  auto stale = applyCategoryPublish(account, publishWith(0, 1, 1), "ep1", 101);
  REQUIRE(stale.conflicts.size() == 1);
  CHECK(stale.conflicts[0].index == 1);
  CHECK(stale.conflicts[0].current_version == 1);
  CHECK(account.categories.begin()->second.publication.publish_time == 100);
  auto second = applyCategoryPublish(account, publishWith(1, 1, 1), "ep1", 102);
  CHECK(second.conflicts.empty());
  for (const auto& [key, stored] : account.categories) {
    CHECK(stored.publication.version == 2);
  }
}

TEST_CASE("the fold gives user-level state, notes and one source per endpoint") {
  MsAccount account;
  REQUIRE(applyCategoryPublish(account, publishWith(0, 0, 0), "ep1", 100).changed);
  MsFold fold = foldAccount(account, 100);
  REQUIRE(fold.user_level.user_state);
  CHECK(fold.user_level.user_state->state.availability == 6500);
  REQUIRE(fold.user_level.personal_note);
  CHECK(fold.user_level.personal_note->text == "in the lab");
  REQUIRE(fold.endpoints.size() == 1);
  CHECK(fold.endpoints[0].source_id == "ms:ep1");
  CHECK(fold.endpoints[0].availability == 3500);
  CHECK(dropEndpointPublications(account));
  CHECK(foldAccount(account, 100).endpoints.empty());
  CHECK_FALSE(dropEndpointPublications(account));
}

TEST_CASE("an account survives its JSON record") {
  MsAccount account;
  REQUIRE(applyCategoryPublish(account, publishWith(0, 0, 0), "ep1", 100).changed);
  REQUIRE(account.contacts.addGroup("Friends", "", {}));
  roaming::Contact bob;
  bob.uri = "sip:bob@example.test";
  REQUIRE(account.contacts.setContact(bob, {}));
  SetContainerMembers members;
  members.containers.push_back({32000, 0, {{MemberAction::Add, MemberType::User, "sip:eve@x"}}});
  applyContainerMembers(account, members);
  account.acknowledged.insert("bob@example.test");

  auto back = accountFromJson(accountToJson(account), XmlLimits{}, {});
  REQUIRE(back);
  CHECK(back->contacts.deltaNum() == account.contacts.deltaNum());
  CHECK(back->contacts.contacts() == account.contacts.contacts());
  REQUIRE(back->categories.size() == account.categories.size());
  for (const auto& [key, stored] : account.categories) {
    const StoredCategory& restored = back->categories.at(key);
    CHECK(restored.publication.version == stored.publication.version);
    CHECK(restored.publication.state == stored.publication.state);
    CHECK(restored.publication.note == stored.publication.note);
    CHECK(restored.epid == "ep1");
    CHECK(restored.publication.publish_time == 100);
  }
  CHECK(back->containers == account.containers);
  CHECK(back->acknowledged == account.acknowledged);
  CHECK_FALSE(accountFromJson("{]", XmlLimits{}, {}));
}

}  // namespace
}  // namespace core::presence
