// SPDX-License-Identifier: Apache-2.0
// RFC 3858 watcher info and the MS wpending body.
#include <doctest/doctest.h>

#include "core-server/presence/roaming/roaming_testing.h"
#include "core-server/presence/roaming/watcherinfo.h"

namespace core::presence::roaming {
namespace {

using testing::attr;
using testing::parseOk;
using testing::sipeChildren;

WatcherInfo sample() {
  WatcherInfo info;
  info.version = 3;
  info.full_state = true;
  WatcherList list;
  list.resource = "sip:alice@example.com";
  list.watchers.push_back(Watcher{"w1", "sip:bob@example.com", "Bob & Co", WatcherStatus::Pending,
                                  WatcherEvent::Subscribe, 3600, 0});
  list.watchers.push_back(Watcher{"w2", "sip:carol@example.org", "", WatcherStatus::Active,
                                  WatcherEvent::Approved, 0, 509});
  list.watchers.push_back(Watcher{"w3", "sip:mallory@example.org", "", WatcherStatus::Terminated,
                                  WatcherEvent::Rejected, 0, 0});
  info.lists.push_back(std::move(list));
  return info;
}

TEST_CASE("watcherinfo round-trips and has the RFC 3858 shape") {
  const std::string xml = renderWatcherInfo(sample());
  auto back = parseWatcherInfo(xml, XmlLimits{});
  REQUIRE_MESSAGE(back.ok(), (back.ok() ? "" : back.error().detail));
  CHECK(*back == sample());

  const XmlDocument doc = parseOk(xml);
  CHECK(doc.root().is("urn:ietf:params:xml:ns:watcherinfo", "watcherinfo"));
  CHECK(attr(doc.root(), "version") == "3");
  CHECK(attr(doc.root(), "state") == "full");
  const auto lists = sipeChildren(doc.root(), "watcher-list");
  REQUIRE(lists.size() == 1);
  CHECK(attr(lists[0], "resource") == "sip:alice@example.com");
  CHECK(attr(lists[0], "package") == "presence");
  const auto watchers = sipeChildren(lists[0], "watcher");
  REQUIRE(watchers.size() == 3);
  CHECK(attr(watchers[0], "status") == "pending");
  CHECK(attr(watchers[0], "event") == "subscribe");
  CHECK(attr(watchers[0], "display-name") == "Bob & Co");
  CHECK(attr(watchers[0], "expiration") == "3600");
  CHECK(watchers[0].text() == "sip:bob@example.com");
  CHECK(attr(watchers[1], "duration-subscribed") == "509");
  CHECK(attr(watchers[2], "event") == "rejected");
}

TEST_CASE("the RFC 3858 §6 example parses, partial state too") {
  auto r = parseWatcherInfo(
      R"(<?xml version="1.0"?>
<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="0" state="partial">
  <watcher-list resource="sip:professor@example.net" package="presence">
    <watcher status="active" id="8ajksjda7s" duration-subscribed="509" event="approved">sip:userA@example.net</watcher>
    <watcher status="pending" id="hh8juja87s997-ass7" display-name="Mr. Subscriber" event="subscribe">sip:userB@example.org</watcher>
  </watcher-list>
</watcherinfo>)",
      XmlLimits{});
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().detail));
  CHECK_FALSE(r->full_state);
  REQUIRE(r->lists.size() == 1);
  REQUIRE(r->lists[0].watchers.size() == 2);
  CHECK(r->lists[0].watchers[1].display_name == "Mr. Subscriber");
  CHECK(r->lists[0].watchers[0].duration_subscribed == 509);
}

TEST_CASE("the version counter starts at 0 and counts documents") {
  WatcherInfoVersion v;
  CHECK(v.next() == 0);
  CHECK(v.next() == 1);
  CHECK(v.peek() == 2);
}

TEST_CASE("bad watcherinfo documents") {
  auto error = [](std::string_view xml) {
    auto r = parseWatcherInfo(xml, XmlLimits{});
    REQUIRE_FALSE(r);
    return r.error().detail;
  };
  CHECK(error(R"(<watcherinfo version="0" state="full"/>)") ==
        "watcherinfo: root element must be {urn:ietf:params:xml:ns:watcherinfo}watcherinfo, got "
        "watcherinfo");
  CHECK(error(R"(<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" state="full"/>)") ==
        "watcherinfo: <watcherinfo> without version");
  CHECK(
      error(
          R"(<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="0" state="some"/>)") ==
      "watcherinfo: bad version or state");
  CHECK(
      error(
          R"(<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="0" state="full">)"
          R"(<watcher-list resource="sip:a@b" package="presence"><watcher id="1" status="active" )"
          R"(event="approved"/></watcher-list></watcherinfo>)") ==
      "watcherinfo: <watcher> without URI");
  CHECK(
      error(R"(<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="0" state="full">)"
            R"(<watcher-list resource="sip:a@b" package="presence"><watcher id="1" status="bored" )"
            R"(event="approved">sip:x@y</watcher></watcher-list></watcherinfo>)") ==
      "watcherinfo: unknown watcher status or event");
}

TEST_CASE("the wpending body reads as sipe_process_presence_wpending reads it") {
  const XmlDocument doc =
      parseOk(renderWpending({{"sip:bob@example.com", "Bob"}, {"sip:eve@example.org", ""}}));
  const auto watchers = sipeChildren(doc.root(), "watcher");
  REQUIRE(watchers.size() == 2);
  CHECK(attr(watchers[0], "uri") == "sip:bob@example.com");
  CHECK(attr(watchers[0], "displayName") == "Bob");
  CHECK(attr(watchers[1], "uri") == "sip:eve@example.org");
}

}  // namespace
}  // namespace core::presence::roaming
