// SPDX-License-Identifier: Apache-2.0
// The presence service's local-watcher hook as the host uses it: the state at
// once, every change after, nothing once removed; and the conversion to what a
// plugin sees (confab_presence fields).
#include <doctest/doctest.h>

#include "adapters/host/adapter_host.h"
#include "core-server/presence/service/presence_service.h"
#include "core-server/presence/service/service_testing.h"

namespace adapters {

using core::presence::PresenceService;
using core::presence::testing::pidf;
using core::presence::testing::publishOf;

TEST_CASE("a local watcher sees the state at once, every change, and nothing once removed") {
  proxy::ManualClock clock;
  core::presence::testing::RecordingSink sink;
  PresenceService service(clock, core::presence::PresenceOptions{}, sink);
  std::vector<PresenceEvent> seen;
  service.addLocalWatcher("alice@example.test", 7,
                          [&](std::string_view aor, const core::presence::Presence& p) {
                            seen.push_back(presenceEvent(aor, p, 1234));
                          });
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].aor == "alice@example.test");
  CHECK(seen[0].availability == CONFAB_AVAIL_OFFLINE);  // never seen: offline to plugins
  CHECK_FALSE(seen[0].im_capable);
  CHECK(service.tracks("alice@example.test"));

  const std::string busy = pidf("sip:alice@example.test", true, "busy", "in a meeting");
  REQUIRE(service.publish(publishOf("alice@example.test", busy)).status == 200);
  REQUIRE(seen.size() == 2);
  CHECK(seen[1].availability >= 6000);
  CHECK(seen[1].availability < 7500);
  CHECK(seen[1].note == "in a meeting");
  CHECK(seen[1].im_capable);
  CHECK(seen[1].sequence > seen[0].sequence);
  CHECK(seen[1].changed_at_ms == 1234);

  service.setRegistrations("alice@example.test", {{"sip:alice@127.0.0.1:5070", ""}});
  const size_t before = seen.size();  // a publication decides: registrations change nothing
  CHECK(service.removeLocalWatcher("alice@example.test", 7));
  CHECK_FALSE(service.removeLocalWatcher("alice@example.test", 7));
  REQUIRE(
      service.publish(publishOf("alice@example.test", pidf("sip:alice@example.test", true, "away")))
          .status == 200);
  CHECK(seen.size() == before);
}

}  // namespace adapters
