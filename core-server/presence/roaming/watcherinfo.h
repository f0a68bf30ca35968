// SPDX-License-Identifier: Apache-2.0
// Who watches a presentity, in the two forms the owner's clients understand:
//  - RFC 3857/3858 application/watcherinfo+xml for presence.winfo subscribers:
//      <watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="0" state="full">
//        <watcher-list resource="sip:alice@example.com" package="presence">
//          <watcher id="w1" status="pending" event="subscribe"
//          display-name="Bob">sip:bob@..</watcher>
//    version counts the documents sent on one winfo subscription from 0
//    (RFC 3858 §4.1; WatcherInfoVersion keeps it); state is full or partial.
//  - the MS presence.wpending body (text/xml+msrtc.wpending) for OCS-dialect
//    clients: <watchers><watcher uri="sip:bob@.." displayName="Bob"/></watchers>,
//    read by sipe-notify.c sipe_process_presence_wpending() (watcher/@uri,
//    @displayName), which then asks the user to allow or block each one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core-server/presence/xml_limits.h"
#include "proxy/base/result.h"

namespace core::presence::roaming {

// RFC 3858 §4.3 status and event values.
enum class WatcherStatus : uint8_t { Pending, Active, Waiting, Terminated };
enum class WatcherEvent : uint8_t {
  Subscribe,
  Approved,
  Deactivated,
  Probation,
  Rejected,
  Timeout,
  Giveup,
  Noresource
};

struct Watcher {
  std::string id;   // unique per watcher subscription within the resource (required)
  std::string uri;  // the watcher's URI, the element's content
  std::string display_name;
  WatcherStatus status = WatcherStatus::Pending;
  WatcherEvent event = WatcherEvent::Subscribe;
  uint32_t expiration = 0;           // seconds left; 0 = omit
  uint32_t duration_subscribed = 0;  // seconds; 0 = omit

  bool operator==(const Watcher&) const = default;
};

struct WatcherList {
  std::string resource;  // the watched presentity
  std::string package = "presence";
  std::vector<Watcher> watchers;

  bool operator==(const WatcherList&) const = default;
};

struct WatcherInfo {
  uint32_t version = 0;
  bool full_state = true;  // false: "partial", only the watchers that changed
  std::vector<WatcherList> lists;

  bool operator==(const WatcherInfo&) const = default;
};

// The version counter of one winfo subscription: 0 for the first document,
// then one more per document (RFC 3858 §4.1).
class WatcherInfoVersion {
 public:
  WatcherInfoVersion() = default;
  // Restored subscriptions go on from a stored bound: versions only grow.
  explicit WatcherInfoVersion(uint32_t first) : next_(first) {}
  uint32_t next() { return next_++; }
  uint32_t peek() const { return next_; }

 private:
  uint32_t next_ = 0;
};

std::string renderWatcherInfo(const WatcherInfo& info);

// For federated/peer winfo and round trips. 400s: malformed/hostile XML, a wrong
// root or namespace, a missing or bad version/state/resource/package/id/status/
// event, a watcher without URI.
proxy::Result<WatcherInfo> parseWatcherInfo(std::string_view xml, const XmlLimits& limits);

std::string_view watcherStatusName(WatcherStatus status);
std::string_view watcherEventName(WatcherEvent event);

struct PendingWatcher {
  std::string uri;  // "sip:bob@example.com"
  std::string display_name;

  bool operator==(const PendingWatcher&) const = default;
};

// The presence.wpending body.
std::string renderWpending(const std::vector<PendingWatcher>& watchers);

}  // namespace core::presence::roaming
