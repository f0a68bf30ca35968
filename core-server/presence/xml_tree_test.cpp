// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/xml_tree.h"

#include <doctest/doctest.h>

#include "core-server/presence/xml_fragment.h"
#include "core-server/presence/xml_writer.h"

namespace core::presence {
namespace {

XmlDocument parseOk(std::string_view xml) {
  auto doc = XmlDocument::parse(xml, XmlLimits{});
  REQUIRE_MESSAGE(doc.ok(), (doc.ok() ? "" : doc.error().detail));
  return std::move(*doc);
}

TEST_CASE("names are namespace-resolved and keep their prefix") {
  const XmlDocument doc = parseOk(
      R"(<a:root xmlns:a="urn:a" xmlns="urn:default" x="1" a:y="2"><child>t&amp;1</child></a:root>)");
  const XmlElement root = doc.root();
  CHECK(root.is("urn:a", "root"));
  CHECK(root.prefix() == "a");
  CHECK(root.attribute("x") == "1");
  CHECK(root.attribute("y", "urn:a") == "2");
  CHECK_FALSE(root.attribute("y").has_value());  // unprefixed lookup does not match a:y
  CHECK(root.nsDecls().size() == 2);
  auto child = root.firstChild("urn:default", "child");
  REQUIRE(child);
  CHECK(child->text() == "t&1");
  CHECK(child->expandedName() == "{urn:default}child");
}

TEST_CASE("children() skips text and iterates elements in order") {
  const XmlDocument doc = parseOk("<r> x <a/> y <b>1</b><c/> z </r>");
  std::string names;
  for (XmlElement e : doc.root().children()) {
    names += std::string(e.local());
  }
  CHECK(names == "abc");
  CHECK(doc.root().text() == " x  y  z ");
  CHECK(doc.root().hasElementChildren());
}

TEST_CASE("views stay valid after the document is moved") {
  auto parsed = XmlDocument::parse("<r xmlns='urn:x'><v>hello</v></r>", XmlLimits{});
  REQUIRE(parsed);
  XmlDocument moved = std::move(*parsed);
  XmlDocument again = std::move(moved);
  CHECK(again.root().firstChild("urn:x", "v")->text() == "hello");
}

TEST_CASE("a fragment declares the namespaces it inherited and keeps its own") {
  const XmlDocument doc =
      parseOk(R"(<p xmlns="urn:pidf" xmlns:lt="urn:lt" xmlns:r="urn:r">)"
              R"(<r:place-type><lt:residence a="&lt;&quot;"/></r:place-type>)"
              R"(<r:mood xmlns:x="urn:unused"><r:other xml:lang="en">brooding</r:other></r:mood>)"
              R"(<plain>in default ns</plain><bare xmlns="">no ns</bare></p>)");
  std::vector<std::string> fragments;
  for (XmlElement e : doc.root().children()) {
    fragments.push_back(serializeFragment(e));
  }
  REQUIRE(fragments.size() == 4);
  CHECK(
      fragments[0] ==
      R"(<r:place-type xmlns:r="urn:r"><lt:residence xmlns:lt="urn:lt" a="&lt;&quot;"/></r:place-type>)");
  CHECK(
      fragments[1] ==
      R"(<r:mood xmlns:x="urn:unused" xmlns:r="urn:r"><r:other xml:lang="en">brooding</r:other></r:mood>)");
  CHECK(fragments[2] == R"(<plain xmlns="urn:pidf">in default ns</plain>)");
  CHECK(fragments[3] == R"(<bare xmlns="">no ns</bare>)");

  // Each fragment parses alone and means the same.
  const XmlDocument reparsed = parseOk(fragments[0]);
  CHECK(reparsed.root().is("urn:r", "place-type"));
  CHECK(reparsed.root().firstChild("urn:lt", "residence"));
}

TEST_CASE("a fragment embedded under a different default namespace keeps its meaning") {
  const XmlDocument src = parseOk(R"(<a xmlns="urn:one"><b><c/></b></a>)");
  const std::string fragment = serializeFragment(*src.root().firstChild("urn:one", "b"));
  const std::string host = R"(<host xmlns="urn:two">)" + fragment + "</host>";
  const XmlDocument doc = parseOk(host);
  auto b = doc.root().firstChild("urn:one", "b");
  REQUIRE(b);
  CHECK(b->firstChild("urn:one", "c"));
}

TEST_CASE("the writer escapes text and attributes and drops illegal controls") {
  std::string out;
  XmlWriter w(out);
  w.open("e");
  w.attribute("a", "x\"<&>\t\n\r");
  w.text(std::string("1 < 2 & ]]> \r ok\x01\x1f"));
  w.open("empty");
  w.close();
  w.leaf("leaf", "");
  w.close();
  CHECK(out ==
        "<e a=\"x&quot;&lt;&amp;&gt;&#9;&#10;&#13;\">1 &lt; 2 &amp; ]]&gt; &#13; ok"
        "<empty/><leaf/></e>");
  // And what it writes parses back to the same values.
  const XmlDocument doc = parseOk(out);
  CHECK(doc.root().attribute("a") == "x\"<&>\t\n\r");
  CHECK(doc.root().text() == "1 < 2 & ]]> \r ok");
}

}  // namespace
}  // namespace core::presence
