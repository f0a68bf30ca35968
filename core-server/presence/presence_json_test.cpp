// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/presence_json.h"
#include "core-server/presence/model_testing.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

namespace core::presence {
namespace {

using namespace testing;

Presence presenceOf(Availability a, std::string token = "") {
  Presence p;
  p.availability = a;
  p.activity.token = std::move(token);
  return p;
}

TEST_CASE("the JSON object adapters get") {
  Presence p = presenceOf(6500, "in-a-meeting");
  p.note = note("Back at \"3\" \xE2\x80\x94 promise");
  p.sequence = 42;
  const auto j = nlohmann::json::parse(renderPresenceJson(p));
  CHECK(j == nlohmann::json{{"availability", "Busy"},
                            {"activity", "InAMeeting"},
                            {"statusMessage", "Back at \"3\" \xE2\x80\x94 promise"},
                            {"sequence", 42}});
  CHECK(nlohmann::json::parse(renderPresenceJson(presenceOf(3500)))["statusMessage"] == "");
}

TEST_CASE("invalid UTF-8 in a note does not break the JSON") {
  Presence p = presenceOf(3500);
  p.note = note("bad \xC3\x28 byte");
  const std::string json = renderPresenceJson(p);
  CHECK(nlohmann::json::accept(json));
}

TEST_CASE("Graph names for the states the table does not list directly") {
  CHECK(graphActivity(presenceOf(15500, "sleeping")) == "Away");  // unknown tokens: the band
  CHECK(graphActivity(presenceOf(3500, "in-a-hackathon")) == "Available");
  CHECK(graphAvailability(presenceOf(18500, "urgent-interruptions-only")) == "Offline");
  Presence hidden = presenceOf(18500);
  hidden.appear_offline = true;
  CHECK(graphAvailability(hidden) == "Offline");
  CHECK(graphActivity(hidden) == "Offline");
}

TEST_CASE("Graph pairs map back to canonical states") {
  auto s = stateFromGraph("Busy", "InACall");
  REQUIRE(s);
  CHECK(s->availability == 6500);
  CHECK(s->activity.token == "on-the-phone");
  s = stateFromGraph("AvailableIdle", "Inactive");
  CHECK(s->availability == 4500);
  CHECK(s->activity.token.empty());
  s = stateFromGraph("Away", "OutOfOffice");
  CHECK(s->availability == 15500);
  CHECK(s->activity.token == "out-of-office");
  CHECK_FALSE(stateFromGraph("Sleepy", "Available"));
}

}  // namespace
}  // namespace core::presence
