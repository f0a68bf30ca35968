// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/conference_subscriptions.h"

#include <doctest/doctest.h>

namespace core::im {
namespace {

ConferenceSubscription make(std::string focus, std::string watcher, std::string call_id,
                            int64_t expires_ms) {
  ConferenceSubscription s;
  s.focus_aor = std::move(focus);
  s.watcher_aor = std::move(watcher);
  s.dialog.call_id = std::move(call_id);
  s.dialog.local_tag = "l";
  s.dialog.remote_tag = "r";
  s.expires_ms = expires_ms;
  return s;
}

TEST_CASE("conference subscriptions: found by dialog and by focus, expire, removed once") {
  ConferenceSubscriptions subs;
  const uint64_t a = subs.add(make("im-conf-1@d", "alice@d", "c1", 1000)).id;
  const uint64_t b = subs.add(make("im-conf-1@d", "bob@d", "c2", 5000)).id;
  const uint64_t c = subs.add(make("im-conf-2@d", "carol@d", "c3", 9000)).id;
  CHECK(subs.findDialog("c2", "l", "r")->id == b);
  CHECK(subs.findDialog("c2", "r", "l") == nullptr);  // tags are not interchangeable
  CHECK(subs.watchersOf("im-conf-1@d") == std::vector<uint64_t>{a, b});
  CHECK(subs.expired(5000) == std::vector<uint64_t>{a, b});
  CHECK(subs.remove(a));
  CHECK_FALSE(subs.remove(a));
  CHECK(subs.findDialog("c1", "l", "r") == nullptr);
  CHECK(subs.watchersOf("im-conf-2@d") == std::vector<uint64_t>{c});
  CHECK(subs.size() == 2);
}

TEST_CASE("conference-info documents: full roster, partial join and leave, escaped") {
  const std::string full = conferenceInfoFull("im-conf-1@d", {"alice@d", "b<o>b@d"}, 7);
  CHECK(full.find("entity=\"sip:im-conf-1@d\" state=\"full\" version=\"7\"") != std::string::npos);
  CHECK(full.find("<user-count>2</user-count>") != std::string::npos);
  CHECK(full.find("<user entity=\"sip:alice@d\" state=\"full\">") != std::string::npos);
  CHECK(full.find("sip:b&lt;o&gt;b@d") != std::string::npos);
  const std::string joined = conferenceInfoPartial("im-conf-1@d", "carol@d", true, 8);
  CHECK(joined.find("state=\"partial\" version=\"8\"") != std::string::npos);
  CHECK(joined.find("<user entity=\"sip:carol@d\" state=\"full\"><status>connected</status>") !=
        std::string::npos);
  const std::string left = conferenceInfoPartial("im-conf-1@d", "carol@d", false, 9);
  CHECK(left.find("<user entity=\"sip:carol@d\" state=\"deleted\"></user>") != std::string::npos);
}

TEST_CASE("conference NOTIFY: dialog headers, event id, state, body or none") {
  ConferenceSubscription s = make("im-conf-1@d", "alice@d", "call-1", 0);
  s.event_id = "7";
  s.dialog.local_uri = "sip:im-conf-1@d";
  s.dialog.remote_uri = "sip:alice@d";
  s.dialog.remote_target = "sip:alice@127.0.0.1:5070;transport=tcp";
  s.dialog.route_set = {"<sip:proxy.d;lr>"};
  s.dialog.local_contact = "<sip:im-conf-1@127.0.0.1:5060;transport=tcp;sh=0>";
  s.dialog.local_cseq = 3;
  const std::string text = buildConferenceNotify(s, "active;expires=60", "<x/>", "confab");
  CHECK(text.starts_with("NOTIFY sip:alice@127.0.0.1:5070;transport=tcp SIP/2.0\r\n"));
  CHECK(text.find("Route: <sip:proxy.d;lr>\r\n") != std::string::npos);
  CHECK(text.find("From: <sip:im-conf-1@d>;tag=l\r\nTo: <sip:alice@d>;tag=r\r\n") !=
        std::string::npos);
  CHECK(text.find("CSeq: 3 NOTIFY\r\n") != std::string::npos);
  CHECK(text.find("Event: conference;id=7\r\n") != std::string::npos);
  CHECK(text.find("Subscription-State: active;expires=60\r\n") != std::string::npos);
  CHECK(text.find("Content-Type: application/conference-info+xml\r\n") != std::string::npos);
  CHECK(text.ends_with("Content-Length: 4\r\n\r\n<x/>"));
  const std::string bare = buildConferenceNotify(s, "terminated;reason=timeout", "", "confab");
  CHECK(bare.find("Content-Type") == std::string::npos);
  CHECK(bare.ends_with("Content-Length: 0\r\n\r\n"));
}

}  // namespace
}  // namespace core::im
