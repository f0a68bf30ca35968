// SPDX-License-Identifier: Apache-2.0
// One eventlist NOTIFY body from per-resource states: the RLMI document plus
// one part per resource that has a state document, linked by cid. The same
// builder serves RFC 4662 list subscriptions (PIDF parts) and MS batched
// subscriptions (application/msrtc-event-categories+xml parts).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core-server/presence/roaming/contact_list.h"
#include "core-server/presence/roaming/multipart.h"
#include "core-server/presence/roaming/rlmi.h"
#include "proxy/base/result.h"

namespace core::presence::roaming {

struct ResourceState {
  std::string uri;
  std::string name;         // display name for <name>; "" = none
  std::string instance_id;  // stable per resource subscription
  InstanceState state = InstanceState::Active;
  std::string reason;        // terminated / pending reason
  std::string content_type;  // of `body`
  std::string body;          // "" = no part (pending, terminated, nothing known yet)
};

struct EventListRequest {
  std::string list_uri;
  uint32_t version = 0;  // RlmiVersion::next()
  bool full_state = true;
  std::string boundary;    // makeBoundary()
  std::string cid_domain;  // right-hand side of generated Content-IDs (the server host)
  std::vector<ResourceState> resources;
};

// Content-IDs are "rlmi.<boundary>@<domain>" and "r<index>.<boundary>@<domain>".
// Errors: buildMultipartRelated's, 500 for an empty list URI, instance id or
// cid domain.
proxy::Result<MultipartBody> buildEventListBody(const EventListRequest& request);

// The resources of a contact list as served to an eventlist subscriber: one per
// subscribed contact, in list order, with its alias as name, an instance id
// stable for the URI (FNV-1a, hex) and state pending without a body; the
// presence service fills in state and body from what it knows.
std::vector<ResourceState> listResources(const ContactList& list);

}  // namespace core::presence::roaming
