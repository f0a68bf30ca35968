// SPDX-License-Identifier: Apache-2.0
#include "core-server/groupchat/xccos_uri.h"

#include <doctest/doctest.h>

namespace core::groupchat {
namespace {

constexpr std::string_view kUuid = "094f5a4a-c492-4f6b-91c2-385eba134fd3";

TEST_CASE("channel and category URIs parse and print canonically") {
  auto channel = NodeUri::parse("ma-chan://lync.nextlabs.solutions/" + std::string(kUuid));
  REQUIRE(channel);
  CHECK(channel->kind() == NodeKind::Channel);
  CHECK(channel->domain() == "lync.nextlabs.solutions");
  CHECK(channel->uuid() == kUuid);
  CHECK(channel->str() == "ma-chan://lync.nextlabs.solutions/" + std::string(kUuid));

  auto category = NodeUri::parse("ma-cat://contoso.com/3EA3A5A8-EF36-46CF-898F-7A5133931D63");
  REQUIRE(category);
  CHECK(category->kind() == NodeKind::Category);
  CHECK(category->str() == "ma-cat://contoso.com/3ea3a5a8-ef36-46cf-898f-7a5133931d63");

  auto shouting = NodeUri::parse("MA-CHAN://Contoso.COM/" + std::string(kUuid));
  REQUIRE(shouting);
  CHECK(shouting->str() == "ma-chan://contoso.com/" + std::string(kUuid));
  CHECK(*shouting == *NodeUri::parse("ma-chan://contoso.com/" + std::string(kUuid)));
}

TEST_CASE("the expected kind is enforced when asked") {
  const std::string cat = "ma-cat://contoso.com/" + std::string(kUuid);
  CHECK(NodeUri::parse(cat, NodeKind::Category).ok());
  auto wrong = NodeUri::parse(cat, NodeKind::Channel);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().status == 400);
}

TEST_CASE("malformed node URIs are rejected") {
  for (const std::string& bad : {
           std::string("sip:room@contoso.com"),
           std::string("ma-chan://"),
           std::string("ma-chan://contoso.com"),
           std::string("ma-chan://contoso.com/"),
           std::string("ma-chan:///") + std::string(kUuid),
           std::string("ma-chan://contoso.com/") + std::string(kUuid) + "/extra",
           std::string("ma-chan://contoso.com/") + std::string(kUuid) + "?x=1",
           std::string("ma-chan://conto so.com/") + std::string(kUuid),
           std::string("ma-chan://-contoso.com/") + std::string(kUuid),
           std::string("ma-chan://contoso..com/") + std::string(kUuid),
           std::string("ma-chan://contoso.com/094f5a4a-c492-4f6b-91c2-385eba134fd"),
           std::string("ma-chan://contoso.com/094f5a4a-c492-4f6b-91c2-385eba134fdz"),
           std::string("ma-chan://contoso.com/094f5a4ac4924f6b91c2385eba134fd3abcd"),
       }) {
    CAPTURE(bad);
    CHECK_FALSE(NodeUri::parse(bad).ok());
  }
}

TEST_CASE("chanid split form and URI convert both ways") {
  auto uri = NodeUri::parse("ma-chan://contoso.com/" + std::string(kUuid));
  REQUIRE(uri);
  const ChanId id = uri->toChanId(3);
  CHECK(id.key == 3);
  CHECK(id.domain == "contoso.com");
  CHECK(id.value == kUuid);
  auto back = NodeUri::fromChanId(ChanId{0, "CONTOSO.com", "094F5A4A-C492-4F6B-91C2-385EBA134FD3"});
  REQUIRE(back);
  CHECK(*back == *uri);
  CHECK_FALSE(NodeUri::fromChanId(ChanId{0, "contoso.com", "nope"}).ok());
  CHECK_FALSE(NodeUri::fromChanId(ChanId{0, "", std::string(kUuid)}).ok());
}

TEST_CASE("uuid and domain syntax") {
  CHECK(isUuid(kUuid));
  CHECK(isUuid("3EA3A5A8-EF36-46CF-898F-7A5133931D63"));
  CHECK_FALSE(isUuid("{094f5a4a-c492-4f6b-91c2-385eba134fd3}"));
  CHECK_FALSE(isUuid("094f5a4a-c492-4f6b-91c2_385eba134fd3"));
  CHECK(isNodeDomain("a"));
  CHECK(isNodeDomain("lync.nextlabs.solutions"));
  CHECK(isNodeDomain("x-1.example"));
  CHECK_FALSE(isNodeDomain("x-.example"));
  CHECK_FALSE(isNodeDomain("example."));
  CHECK_FALSE(isNodeDomain(std::string(64, 'a') + ".com"));
  CHECK_FALSE(isNodeDomain("ex_ample.com"));
}

}  // namespace
}  // namespace core::groupchat
