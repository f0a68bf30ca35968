// SPDX-License-Identifier: Apache-2.0
#include "core-server/groupchat/xccos_text.h"

#include <doctest/doctest.h>

namespace core::groupchat {
namespace {

std::string normalized(std::string_view text, ControlChars policy = ControlChars::Strip) {
  auto out = normalizeChatText(text, policy);
  REQUIRE_MESSAGE(out.ok(), (out.ok() ? "" : out.error().detail));
  return *out;
}

std::string text(std::string_view in) {
  std::string out;
  appendXmlText(out, in);
  return out;
}

std::string attribute(std::string_view in) {
  std::string out;
  appendXmlAttribute(out, in);
  return out;
}

TEST_CASE("line breaks become CRLF joins; CRLF stays one break") {
  CHECK(normalized("a\r\nb") == "a\r\nb");
  CHECK(normalized("a\nb") == "a\r\nb");
  CHECK(normalized("a\rb") == "a\r\nb");
  CHECK(normalized("a\n\nb") == "a\r\n\r\nb");
  CHECK(normalized("a\r\n\r\nb\r") == "a\r\n\r\nb\r\n");
  CHECK(normalized("tab\tkept, ünïcødé and 😀 too") == "tab\tkept, ünïcødé and 😀 too");
}

TEST_CASE("characters XML 1.0 cannot carry are stripped or rejected") {
  // Split literals: a hex escape would swallow a following hex letter.
  const std::string controls = std::string("a\x01") + "b\x1f" + "c\x7f";
  CHECK(normalized(controls) == "abc\x7f");  // DEL is legal XML
  const std::string nonchars = std::string("a\xEF\xBF\xBE") + "b\xEF\xBF\xBF";
  CHECK(normalized(nonchars) == "ab");  // U+FFFE, U+FFFF
  CHECK(normalized(std::string("a\0b", 3)) == "ab");
  auto rejected = normalizeChatText("a\x02", ControlChars::Reject);
  REQUIRE_FALSE(rejected.ok());
  CHECK(rejected.error().status == 400);
}

TEST_CASE("invalid UTF-8 is refused whatever the policy") {
  for (const std::string_view bad : {std::string_view("\xC0\xAF"),          // overlong '/'
                                     std::string_view("\xED\xA0\x80"),      // surrogate
                                     std::string_view("\xF4\x90\x80\x80"),  // > U+10FFFF
                                     std::string_view("\xE2\x82"),          // truncated
                                     std::string_view("\x80"), std::string_view("\xFF")}) {
    auto out = normalizeChatText(bad, ControlChars::Strip);
    CHECK_FALSE(out.ok());
  }
}

TEST_CASE("escaping text keeps CR through XML end-of-line folding") {
  CHECK(text("a < b & c > d \"q\" 'a'") == "a &lt; b &amp; c &gt; d \"q\" 'a'");
  CHECK(text("l1\r\nl2") == "l1&#13;\nl2");
  CHECK(text(std::string("x\x01y", 3)) == "xy");
  CHECK(text("bad \xC3 byte") == "bad \xEF\xBF\xBD byte");
}

TEST_CASE("escaping attributes protects quotes and whitespace") {
  CHECK(attribute("say \"hi\" & <go>") == "say &quot;hi&quot; &amp; &lt;go&gt;");
  CHECK(attribute("a\tb\nc\rd") == "a&#9;b&#10;c&#13;d");
  CHECK(attribute("it's") == "it's");
}

TEST_CASE("post sizes are checked in bytes against the advertised limits") {
  const PostLimits limits{512, 4096};
  CHECK(checkPostSize(std::string(512, 'a'), PostKind::Message, limits).ok());
  auto over = checkPostSize(std::string(513, 'a'), PostKind::Message, limits);
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().status == 413);
  CHECK(over.error().detail.find("513") != std::string::npos);
  CHECK(checkPostSize(std::string(4096, 'a'), PostKind::Story, limits).ok());
  CHECK_FALSE(checkPostSize(std::string(4097, 'a'), PostKind::Story, limits).ok());
  // Multi-byte characters count as their UTF-8 bytes.
  std::string euros;
  for (int i = 0; i < 171; ++i) {
    euros += "€";  // 3 bytes each: 513
  }
  CHECK_FALSE(checkPostSize(euros, PostKind::Message, limits).ok());
}

}  // namespace
}  // namespace core::groupchat
