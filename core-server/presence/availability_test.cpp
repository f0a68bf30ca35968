// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/availability.h"

#include <doctest/doctest.h>

#include "core-server/presence/activity.h"
#include "core-server/presence/model_testing.h"

namespace core::presence {
namespace {

using namespace testing;

using B = AvailabilityBand;

TEST_CASE("numbers fall into the Communicator bands at their edges") {
  struct Row {
    Availability value;
    B band;
  };
  const Row rows[] = {
      {0, B::Unknown},          {2999, B::Unknown},      {3000, B::Available},
      {3500, B::Available},     {4499, B::Available},    {4500, B::AvailableIdle},
      {5999, B::AvailableIdle}, {6000, B::Busy},         {6500, B::Busy},
      {6900, B::Busy},          {7499, B::Busy},         {7500, B::BusyIdle},
      {8999, B::BusyIdle},      {9000, B::DoNotDisturb}, {9500, B::DoNotDisturb},
      {11999, B::DoNotDisturb}, {12000, B::BeRightBack}, {12500, B::BeRightBack},
      {14999, B::BeRightBack},  {15000, B::Away},        {15500, B::Away},
      {17999, B::Away},         {18000, B::Offline},     {18500, B::Offline},
      {UINT32_MAX, B::Offline},
  };
  for (const Row& r : rows) {
    CAPTURE(r.value);
    CHECK(bandOf(r.value) == r.band);
  }
}

TEST_CASE("every band has a representative inside itself and a name") {
  for (B b : {B::Unknown, B::Available, B::AvailableIdle, B::Busy, B::BusyIdle, B::DoNotDisturb,
              B::BeRightBack, B::Away, B::Offline}) {
    CHECK(bandOf(representativeOf(b)) == b);
    CHECK_FALSE(bandName(b).empty());
  }
  CHECK(representativeOf(B::Available) == 3500);
  CHECK(representativeOf(B::Offline) == 18500);
  CHECK(bandName(B::Unknown) == "PresenceUnknown");
}

TEST_CASE("idle moves Available and Busy into their idle sub-ranges and back") {
  CHECK(withIdle(3500) == 4500);
  CHECK(withIdle(3000) == 4500);
  CHECK(withIdle(6500) == 7500);
  CHECK(withIdle(6900) == 7500);
  CHECK(withIdle(4500) == 4500);
  CHECK(withIdle(9500) == 9500);
  CHECK(withIdle(15500) == 15500);
  CHECK(withIdle(0) == 0);
  CHECK(withoutIdle(4500) == 3500);
  CHECK(withoutIdle(7500) == 6500);
  CHECK(withoutIdle(15500) == 15500);
}

TEST_CASE("reachability puts unknown after every known state") {
  CHECK(reachabilityKey(3500) < reachabilityKey(4500));
  CHECK(reachabilityKey(15500) < reachabilityKey(18500));
  CHECK(reachabilityKey(18500) < reachabilityKey(0));
}

TEST_CASE("generic tokens normalise away, specific and unknown ones stay") {
  CHECK(normalizedActivity(3500, activity("online")).empty());
  CHECK(normalizedActivity(3500, activity("available")).empty());
  CHECK(normalizedActivity(6500, activity("busy")).empty());
  CHECK(normalizedActivity(9500, activity("do-not-disturb")).empty());
  CHECK(normalizedActivity(6500, activity("on-the-phone")).token == "on-the-phone");
  CHECK(normalizedActivity(3500, activity("busy")).token == "busy");  // not this band's
  CHECK(normalizedActivity(3500, activity("sleeping")).token == "sleeping");
  Activity custom = activity("busy", "Writing");
  custom.min_availability = 6000;
  const Activity kept = normalizedActivity(6500, custom);
  CHECK(kept.token.empty());
  CHECK(kept.custom == "Writing");
  Activity range_only = activity("busy");
  range_only.max_availability = 8999;
  CHECK(normalizedActivity(6500, range_only) == Activity{});
}

TEST_CASE("an activity's MS-PRES range decides where it applies") {
  Activity meeting = activity("in-a-meeting");
  meeting.min_availability = 6500;
  meeting.max_availability = 8999;
  CHECK(activityAppliesAt(meeting, 6500));
  CHECK(activityAppliesAt(meeting, 8999));
  CHECK_FALSE(activityAppliesAt(meeting, 3500));
  CHECK_FALSE(activityAppliesAt(meeting, 9500));
  CHECK(activityAppliesAt(activity("x"), 0));
}

}  // namespace
}  // namespace core::presence
