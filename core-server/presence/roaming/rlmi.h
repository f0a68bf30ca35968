// SPDX-License-Identifier: Apache-2.0
// RFC 4662 Resource List Meta-Information (application/rlmi+xml): the root part
// of an eventlist NOTIFY saying which resources the list holds and the state of
// each one's subscription.
//   <list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:alice-list@.." version="0" fullState="true">
//     <resource uri="sip:bob@.."><name>Bob</name>
//       <instance id="b1" state="active" cid="r0.x@example.com"/></resource>
//     <resource uri="sip:carol@.."><instance id="c1" state="terminated"
//     reason="rejected"/></resource>
//   </list>
// The same document heads MS batched NOTIFYs; sipe reads resource/@uri and
// instance/@state, and on state "resubscribe" (an MS extension, with an optional
// poolFqdn) subscribes to that contact singly (sipe-notify.c
// process_incoming_notify_rlmi_resub).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core-server/presence/xml_limits.h"
#include "proxy/base/result.h"

namespace core::presence::roaming {

enum class InstanceState : uint8_t { Active, Pending, Terminated, Resubscribe };

struct RlmiName {
  std::string text;
  std::string lang;  // xml:lang, "" = none

  bool operator==(const RlmiName&) const = default;
};

struct RlmiInstance {
  std::string id;  // unique within the resource, stable across notifications
  InstanceState state = InstanceState::Active;
  std::string reason;     // terminated: RFC 6665 reasons (rejected, noresource, timeout...)
  std::string cid;        // Content-ID of the part with this instance's state, without <>
  std::string pool_fqdn;  // MS resubscribe: where to subscribe instead

  bool operator==(const RlmiInstance&) const = default;
};

struct RlmiResource {
  std::string uri;
  std::vector<RlmiName> names;
  std::vector<RlmiInstance> instances;

  bool operator==(const RlmiResource&) const = default;
};

struct RlmiList {
  std::string uri;
  uint32_t version = 0;  // per subscription, from 0 (RFC 4662 §5.2)
  bool full_state = true;
  std::vector<RlmiName> names;
  std::vector<RlmiResource> resources;

  bool operator==(const RlmiList&) const = default;
};

// The version counter of one list subscription: 0, 1, 2... per NOTIFY.
class RlmiVersion {
 public:
  RlmiVersion() = default;
  // Restored subscriptions go on from a stored bound: versions only grow.
  explicit RlmiVersion(uint32_t first) : next_(first) {}
  uint32_t next() { return next_++; }
  uint32_t peek() const { return next_; }

 private:
  uint32_t next_ = 0;
};

std::string renderRlmi(const RlmiList& list);

// 400s: malformed/hostile XML, a wrong root or namespace, a list or resource
// without uri, a bad version or fullState, an instance without id or with an
// unknown state.
proxy::Result<RlmiList> parseRlmi(std::string_view xml, const XmlLimits& limits);

std::string_view instanceStateName(InstanceState state);

}  // namespace core::presence::roaming
