// SPDX-License-Identifier: Apache-2.0
// What the server keeps for one user of the OCS/Lync dialect (MS-PRES, MS-SIP):
// the roaming contact list, the category publications with their versions
// (keyed by category name, instance and container), the ACL containers and the
// watchers the user has acknowledged. Pure logic over plain values, owned by the
// shard that owns the user; MsPresence (ms_presence.h) does the SIP around it.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core-server/presence/ms_categories.h"
#include "core-server/presence/ms_container_members.h"
#include "core-server/presence/ms_fault.h"
#include "core-server/presence/presence_model.h"
#include "core-server/presence/roaming/contact_list.h"
#include "core-server/presence/roaming/roaming_self.h"
#include "proxy/base/result.h"

namespace core::presence {

// A publication as stored: `publication.version` is the current version.
struct StoredCategory {
  CategoryPublication publication;
  std::string epid;  // the endpoint that published it (From ;epid=)
};

using CategoryKey = std::tuple<std::string, uint32_t, uint32_t>;  // name, instance, container

struct MsAccount {
  roaming::ContactList contacts;
  std::map<CategoryKey, StoredCategory> categories;
  std::map<uint32_t, roaming::RoamingContainer> containers;
  std::set<std::string> acknowledged;  // watcher AORs the user was told about
};

struct CategoryPublishOutcome {
  std::vector<PublicationConflict> conflicts;  // non-empty: nothing was applied (409)
  bool changed = false;
};

// MS-PRES optimistic concurrency: each publication must carry the version we
// hold for its key (0 for a new key); a stale one fails the whole request. Else
// every publication is stored with version + 1 and `now` as its publish time,
// and expires="0" removes its key.
CategoryPublishOutcome applyCategoryPublish(MsAccount& account, const CategoryPublish& request,
                                            std::string_view epid, int64_t now);

// The registration of every endpoint ended: endpoint-bound publications
// (expireType endpoint: machineState, device...) die with it. True if any did.
bool dropEndpointPublications(MsAccount& account);

// The account's publications as the canonical model sees them: user-level state
// (manual userState, notes, user-level categories) and one source per publishing
// endpoint that published endpoint-bound state ("ms:<epid>").
struct MsFold {
  PresentityState user_level;
  std::vector<EndpointPresence> endpoints;
};
MsFold foldAccount(const MsAccount& account, int64_t now);
inline constexpr std::string_view kMsSourcePrefix = "ms:";

// The user's own publications with their versions, for roaming-self.
std::vector<MsCategoryInstance> roamingCategories(const MsAccount& account);

// Applies setContainerMembers to the stored containers (version + 1 each).
void applyContainerMembers(MsAccount& account, const SetContainerMembers& request);

// Persistence (PresenceRecord kind MsAccount): JSON holding the contact list,
// the publications (payloads re-parsed on load), containers and acknowledgements.
std::string accountToJson(const MsAccount& account);
proxy::Result<MsAccount> accountFromJson(std::string_view json, const XmlLimits& limits,
                                         const roaming::ContactListLimits& contact_limits);

}  // namespace core::presence
