// SPDX-License-Identifier: Apache-2.0
// The knobs of the presence service (the `presence:` section of confab.yaml,
// translated by proxy/main). Plain values, copied into each shard's service.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "core-server/presence/service/authorization.h"
#include "core-server/presence/xml_limits.h"

namespace core::presence {

struct PresenceOptions {
  // PUBLISH (RFC 3903 §6): shorter gets 423 + Min-Expires, longer is shortened.
  uint32_t publish_min_expires = 60;
  uint32_t publish_max_expires = 3600;
  uint32_t publish_default_expires = 3600;
  // SUBSCRIBE (RFC 6665 §4.2.1.1; RFC 3856 §6.4 default 3600).
  uint32_t subscribe_min_expires = 60;
  uint32_t subscribe_max_expires = 3600;
  uint32_t subscribe_default_expires = 3600;
  // At most one NOTIFY per subscription per interval; later changes are coalesced.
  uint32_t min_notify_interval_ms = 200;
  uint32_t max_subscriptions_per_watcher = 256;  // per watcher AOR (on one shard)
  uint32_t max_watchers_per_presentity = 1000;
  size_t max_publication_bytes = 64 * 1024;  // larger bodies get 413
  // Publication records are written at once, except a change that comes within
  // this long of the presentity's last write: it is written when the interval is
  // over, folded with any later change (a crash loses at most this much; a clean
  // shutdown writes everything). Removals are written at once. 0: every change.
  uint32_t publication_write_interval_ms = 1000;
  XmlLimits xml;
  // Watchers in another domain than the presentity, with no rule naming them.
  Decision federated_default = Decision::Reject;
  // Per watcher domain, before federated_default (federation peers' `presence:`);
  // unset, or nullopt for a domain: federated_default.
  std::function<std::optional<Decision>(std::string_view watcher_domain)> federated_decision;
  // Watchers in the presentity's own domain, with no rule naming them.
  Decision local_default = Decision::Allow;
};

}  // namespace core::presence
