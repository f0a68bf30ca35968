// SPDX-License-Identifier: Apache-2.0
// The body of an MS batched category SUBSCRIBE (application/msrtc-adrl-categorylist+xml,
// PROTOCOLS.md (b)): which contacts the client wants presence for and which
// categories of theirs. The presence service turns it into one subscription per
// resource; an RLMI NOTIFY answers it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core-server/presence/xml_limits.h"
#include "proxy/base/result.h"

namespace core::presence {

inline constexpr std::string_view kBatchSubscribeContentType =
    "application/msrtc-adrl-categorylist+xml";

struct BatchResource {
  std::string uri;
  bool just_added = false;  // <context/>: the contact was just added to the list

  bool operator==(const BatchResource&) const = default;
};

struct BatchAction {
  std::string name;  // "subscribe" (sipe), kept verbatim
  std::string id;
  std::vector<BatchResource> resources;
  std::vector<std::string> categories;  // <categoryList><category name>

  bool operator==(const BatchAction&) const = default;
};

struct BatchSubscribe {
  std::string uri;  // the subscriber's own URI (the batch goes To = self)
  std::string name;
  std::vector<BatchAction> actions;
};

// 400s: malformed/hostile XML, a root other than
// {http://schemas.microsoft.com/2006/01/sip/batch-subscribe}batchSub, a resource
// without uri, a category list in the wrong namespace, a category without name.
proxy::Result<BatchSubscribe> parseBatchSubscribe(std::string_view xml, const XmlLimits& limits);

}  // namespace core::presence
