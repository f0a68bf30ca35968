// SPDX-License-Identifier: Apache-2.0
// Hostile and broken XML: every case must end in a 400 with a reason naming the
// problem, quickly and without ASan/UBSan complaints.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "core-server/presence/ms_batch_subscribe.h"
#include "core-server/presence/ms_categories.h"
#include "core-server/presence/ms_container_members.h"
#include "core-server/presence/pidf.h"
#include "core-server/presence/xml_tree.h"

namespace core::presence {
namespace {

std::string rejectReason(std::string_view xml, const XmlLimits& limits = {}) {
  auto doc = XmlDocument::parse(xml, limits);
  REQUIRE_FALSE(doc.ok());
  CHECK(doc.error().status == 400);
  return doc.error().detail;
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

constexpr std::string_view kBillionLaughs = R"(<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@b"><note>&lol9;</note></presence>)";

TEST_CASE("billion laughs is refused at the DOCTYPE, before any expansion") {
  const auto start = std::chrono::steady_clock::now();
  CHECK(rejectReason(kBillionLaughs) == "XML: DOCTYPE is not allowed");
  auto pidf = parsePidf(kBillionLaughs, XmlLimits{});
  REQUIRE_FALSE(pidf);
  CHECK(pidf.error().detail == "XML: DOCTYPE is not allowed");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
}

TEST_CASE("external entities and parameter entities are refused") {
  CHECK(rejectReason(R"(<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>)") ==
        "XML: DOCTYPE is not allowed");
  CHECK(rejectReason(R"(<!DOCTYPE r SYSTEM "http://example.com/evil.dtd"><r/>)") ==
        "XML: DOCTYPE is not allowed");
  CHECK(rejectReason(R"(<!DOCTYPE r [<!ENTITY % p "x"> %p;]><r/>)") ==
        "XML: DOCTYPE is not allowed");
}

TEST_CASE("undefined entity references are an error, not an expansion") {
  CHECK(contains(rejectReason("<r>&ghost;</r>"), "undefined entity"));
}

TEST_CASE("10,000 levels of nesting stop at the depth limit") {
  std::string deep;
  for (int i = 0; i < 10000; ++i) {
    deep += "<a>";
  }
  for (int i = 0; i < 10000; ++i) {
    deep += "</a>";
  }
  XmlLimits limits;
  limits.max_bytes = deep.size();
  CHECK(rejectReason(deep, limits) == "XML: nesting deeper than 32 levels");
  // Generous limits still bound it.
  limits.max_depth = 5000;
  limits.max_elements = 20000;
  CHECK(rejectReason(deep, limits) == "XML: nesting deeper than 5000 levels");
}

TEST_CASE("a 10 MB document is refused by size before it is parsed") {
  std::string big = R"(<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@b"><note>)";
  big.append(size_t{10} * 1024 * 1024, 'x');
  big += "</note></presence>";
  const auto start = std::chrono::steady_clock::now();
  const std::string reason = rejectReason(big);
  CHECK(contains(reason, "exceeds the limit of 65536"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(200));
}

TEST_CASE("a 10 MB document of tiny elements stops at the element limit") {
  std::string many = "<r>";
  while (many.size() < size_t{10} * 1024 * 1024) {
    many += "<e/>";
  }
  many += "</r>";
  XmlLimits limits;
  limits.max_bytes = many.size();
  CHECK(rejectReason(many, limits) == "XML: more than 4096 elements");
}

TEST_CASE("too many attributes on one element") {
  std::string xml = "<r";
  for (int i = 0; i < 65; ++i) {
    xml += " a" + std::to_string(i) + "=\"v\"";
  }
  xml += "/>";
  CHECK(rejectReason(xml) == "XML: more than 64 attributes on one element");
  // Namespace declarations count too: they are attributes on the wire.
  std::string decls = "<r";
  for (int i = 0; i < 65; ++i) {
    decls += " xmlns:p" + std::to_string(i) + "=\"urn:" + std::to_string(i) + "\"";
  }
  decls += "/>";
  CHECK(rejectReason(decls) == "XML: more than 64 attributes on one element");
}

TEST_CASE("thousands of distinct namespaces cost linear time") {
  std::string xml = "<r>";
  for (int i = 0; i < 4000; ++i) {
    xml += "<e";
    for (int j = 0; j < 10; ++j) {
      xml += " xmlns:p" + std::to_string(j) + "=\"urn:" + std::to_string(i * 10 + j) + "\"";
    }
    xml += "/>";
  }
  xml += "</r>";
  XmlLimits limits;
  limits.max_bytes = xml.size();
  const auto start = std::chrono::steady_clock::now();
  auto doc = XmlDocument::parse(xml, limits);
  CHECK(doc.ok());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
}

TEST_CASE("truncated and malformed documents report where") {
  const std::string truncated =
      R"(<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@b"><tuple id="t"><status><basic>op)";
  const std::string reason = rejectReason(truncated);
  CHECK(contains(reason, "XML: "));
  CHECK(contains(reason, "line 1"));
  CHECK(contains(rejectReason("<a><b></a></b>"), "mismatched tag"));
  CHECK(contains(rejectReason(""), "no element found"));
  CHECK(contains(rejectReason("not xml at all"), "syntax error"));
  CHECK(contains(rejectReason("<a/><b/>"), "junk after document element"));
  CHECK(contains(rejectReason("<a>\xff\xfe</a>"), "invalid token"));
  CHECK(contains(rejectReason("<p:a/>"), "unbound prefix"));
}

TEST_CASE("wrong or missing namespaces are refused with the expected name") {
  auto pidf = parsePidf(R"(<presence entity="sip:a@b"><tuple id="t"/></presence>)", XmlLimits{});
  REQUIRE_FALSE(pidf);
  CHECK(pidf.error().status == 400);
  CHECK(pidf.error().detail ==
        "PIDF: root element must be {urn:ietf:params:xml:ns:pidf}presence, got presence");
  auto wrong =
      parsePidf(R"(<presence xmlns="urn:ietf:params:xml:ns:cpim-pidf" entity="x"/>)", XmlLimits{});
  REQUIRE_FALSE(wrong);
  CHECK(contains(wrong.error().detail, "got {urn:ietf:params:xml:ns:cpim-pidf}presence"));

  auto publish =
      parseCategoryPublish(R"(<publish><publications uri="sip:a@b"/></publish>)", XmlLimits{});
  REQUIRE_FALSE(publish);
  CHECK(contains(publish.error().detail,
                 "root element must be {http://schemas.microsoft.com/"
                 "2006/09/sip/rich-presence}publish, got publish"));

  auto state_ns = parseCategoryPublish(
      R"(<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence">)"
      R"(<publications uri="sip:a@b"><publication categoryName="state" instance="0" container="2")"
      R"( version="1" expireType="static"><state><availability>3500</availability></state>)"
      R"(</publication></publications></publish>)",
      XmlLimits{});
  REQUIRE_FALSE(state_ns);
  CHECK(state_ns.error().detail ==
        "msrtc publish: publication 1 (state): payload must be "
        "{http://schemas.microsoft.com/2006/09/sip/state}state, got "
        "{http://schemas.microsoft.com/2006/09/sip/rich-presence}state");

  CHECK_FALSE(parseBatchSubscribe("<batchSub/>", XmlLimits{}));
  CHECK_FALSE(parseSetContainerMembers("<setContainerMembers/>", XmlLimits{}));
  CHECK_FALSE(parseCategories("<categories/>", XmlLimits{}));
}

TEST_CASE("limits are applied by every format parser") {
  XmlLimits tiny;
  tiny.max_bytes = 16;
  auto r = parsePidf(R"(<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@b"/>)", tiny);
  REQUIRE_FALSE(r);
  CHECK(contains(r.error().detail, "exceeds the limit of 16"));
  CHECK_FALSE(parseCategoryPublish(std::string(100, ' '), tiny));
  CHECK_FALSE(parseBatchSubscribe(std::string(100, ' '), tiny));
}

}  // namespace
}  // namespace core::presence
