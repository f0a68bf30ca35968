// SPDX-License-Identifier: Apache-2.0
#include "adapters/click_to_chat/chat_protocol.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

namespace adapters::click_to_chat {
namespace {

TEST_CASE("visitor frames") {
  auto hello = parseVisitorFrame(R"({"type":"hello"})", 100);
  REQUIRE(hello);
  CHECK(hello->type == VisitorFrameType::kHello);
  auto msg = parseVisitorFrame(R"({"type":"message","text":"  hi\u0007 there \n"})", 100);
  REQUIRE(msg);
  CHECK(msg->type == VisitorFrameType::kMessage);
  CHECK(msg->text == "hi there");
  CHECK(parseVisitorFrame(R"({"type":"leave"})", 100)->type == VisitorFrameType::kLeave);
  CHECK(parseVisitorFrame(R"({"type":"typing"})", 100)->type == VisitorFrameType::kTyping);
  // A recipient field is meaningless: the visitor cannot address anyone.
  auto addressed =
      parseVisitorFrame(R"({"type":"message","text":"x","to":"ceo@example.test"})", 100);
  REQUIRE(addressed);
  CHECK(addressed->text == "x");
}

TEST_CASE("bad visitor frames are errors, not exceptions") {
  CHECK(parseVisitorFrame("", 100).error().status == 400);
  CHECK(parseVisitorFrame("{", 100).error().status == 400);
  CHECK(parseVisitorFrame("[1,2]", 100).error().status == 400);
  CHECK(parseVisitorFrame(R"({"type":5})", 100).error().status == 400);
  CHECK(parseVisitorFrame(R"({"type":"message"})", 100).error().status == 400);
  CHECK(parseVisitorFrame(R"({"type":"message","text":7})", 100).error().status == 400);
  CHECK(parseVisitorFrame(R"({"type":"message","text":" \n "})", 100).error().status == 400);
  CHECK(parseVisitorFrame(R"({"type":"dial","text":"x"})", 100).error().status == 415);
  CHECK(parseVisitorFrame(R"({"type":"message","text":"0123456789"})", 9).error().status == 413);
  CHECK(parseVisitorFrame("{\"type\":\"message\",\"text\":\"\xff\xfe\"}", 100).error().status ==
        400);  // not UTF-8
}

TEST_CASE("server frames are JSON, whatever the text") {
  const auto doc = nlohmann::json::parse(serverFrame("agent", "<b>\"hi\"</b>", "7f3a"));
  CHECK(doc["type"] == "agent");
  CHECK(doc["text"] == "<b>\"hi\"</b>");
  CHECK(doc["visitor"] == "7f3a");
  const auto bad = nlohmann::json::parse(serverFrame("agent",
                                                     "a\xff"
                                                     "b"));
  CHECK(bad["text"].get<std::string>().size() > 2);  // replaced, not thrown
  CHECK_FALSE(nlohmann::json::parse(serverFrame("system", "x")).contains("visitor"));
}

}  // namespace
}  // namespace adapters::click_to_chat
