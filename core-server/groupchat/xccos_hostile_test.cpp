// SPDX-License-Identifier: Apache-2.0
// Hostile and malformed envelopes: entity tricks, limits, wrong namespace or
// root, missing or bad envid/seqid/ver, and bodies a client must not send.
#include <doctest/doctest.h>

#include "core-server/groupchat/xccos_decoder.h"

namespace core::groupchat {
namespace {

constexpr std::string_view kCmd = "<cmd id=\"cmd:requri\" seqid=\"1\"><data/></cmd>";

std::string envelope(std::string_view body) {
  return "<xccos ver=\"1\" envid=\"7\" xmlns=\"urn:parlano:xml:ns:xccos\">" + std::string(body) +
         "</xccos>";
}

// Decodes and expects an error with `status` whose detail contains `needle`.
void expectError(const std::string& xml, std::string_view needle, int status = 400,
                 const XmlLimits& limits = XmlLimits{}) {
  auto decoded = decodeClient(xml, limits);
  INFO(xml);
  REQUIRE_FALSE(decoded.ok());
  INFO(decoded.error().detail);
  CHECK(decoded.error().status == status);
  CHECK(decoded.error().detail.find(needle) != std::string::npos);
}

TEST_CASE("a DOCTYPE is refused before any entity is declared") {
  const std::string laughs =
      "<?xml version=\"1.0\"?><!DOCTYPE xccos [<!ENTITY a \"aaaaaaaaaa\">"
      "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\">]>"
      "<xccos ver=\"1\" envid=\"7\" xmlns=\"urn:parlano:xml:ns:xccos\">"
      "<grpchat seqid=\"1\" chanUri=\"ma-chan://a.com/094f5a4a-c492-4f6b-91c2-385eba134fd3\">"
      "<chat>&c;</chat></grpchat></xccos>";
  expectError(laughs, "DOCTYPE");
  expectError("<!DOCTYPE xccos SYSTEM \"file:///etc/passwd\">" + envelope(kCmd), "DOCTYPE");
  expectError("<!DOCTYPE xccos>" + envelope(kCmd), "DOCTYPE");
}

TEST_CASE("undeclared entities and malformed XML are errors") {
  expectError(envelope("<cmd id=\"cmd:requri\" seqid=\"1\"><data>&xxe;</data></cmd>"), "entity");
  expectError(envelope(kCmd).substr(0, 40), "xml:");
  expectError(envelope(kCmd) + "<junk/>", "junk");
  expectError(std::string("<xccos ver=\"1\" envid=\"7\"\0 xmlns=\"a\"/>", 36), "xml:");
  expectError("<xccos ver=\"1\" envid=\"7\" xmlns=\"urn:parlano:xml:ns:xccos\">\xff\xfe</xccos>",
              "xml:");
  expectError("", "xml:");
}

TEST_CASE("size, depth, element, attribute and text limits are enforced") {
  XmlLimits limits;
  limits.max_bytes = 64;
  expectError(envelope(kCmd), "larger than 64", 413, limits);

  limits = XmlLimits{};
  std::string deep = "<x/>";
  for (int i = 0; i < 20; ++i) {
    deep.insert(0, "<d>").append("</d>");
  }
  expectError(envelope("<cmd id=\"cmd:requri\" seqid=\"1\"><data>" + deep + "</data></cmd>"),
              "deep");

  std::string many;
  for (int i = 0; i < 50; ++i) {
    many += "<chanid/>";
  }
  limits.max_elements = 20;
  expectError(envelope("<cmd id=\"cmd:bjoin\" seqid=\"1\"><data>" + many + "</data></cmd>"),
              "too many elements", 400, limits);

  limits = XmlLimits{};
  limits.max_attributes = 3;
  expectError(envelope("<cmd id=\"cmd:requri\" seqid=\"1\"><data a=\"1\" b=\"2\" c=\"3\" d=\"4\"/>"
                       "</cmd>"),
              "too many attributes", 400, limits);
  // Refused on an empty root: expat still reports its end after we stop.
  expectError("<xccos a=\"1\" b=\"2\" c=\"3\" d=\"4\"/>", "too many attributes", 400, limits);
  limits.max_depth = 1;
  expectError("<xccos><cmd/></xccos>", "deep", 400, limits);

  limits = XmlLimits{};
  limits.max_text_bytes = 100;
  expectError(envelope("<cmd id=\"cmd:requri\" seqid=\"1\"><data>" + std::string(200, 'x') +
                       "</data></cmd>"),
              "character data", 400, limits);
}

TEST_CASE("the root must be <xccos> in the XCCOS namespace, version 1") {
  expectError("<xccos ver=\"1\" envid=\"7\">" + std::string(kCmd) + "</xccos>", "namespace");
  expectError("<xccos ver=\"1\" envid=\"7\" xmlns=\"urn:parlano:xml:ns:other\">" +
                  std::string(kCmd) + "</xccos>",
              "namespace");
  expectError("<x:xccos ver=\"1\" envid=\"7\" xmlns:x=\"urn:parlano:xml:ns:xccos\">" +
                  std::string(kCmd) + "</x:xccos>",
              "no cmd");  // prefixed root is fine; its unprefixed children are then foreign
  expectError("<envelope xmlns=\"urn:parlano:xml:ns:xccos\"/>", "root element");
  expectError(
      "<xccos envid=\"7\" xmlns=\"urn:parlano:xml:ns:xccos\">" + std::string(kCmd) + "</xccos>",
      "missing ver");
  expectError("<xccos ver=\"2\" envid=\"7\" xmlns=\"urn:parlano:xml:ns:xccos\">" +
                  std::string(kCmd) + "</xccos>",
              "unsupported ver");
}

TEST_CASE("envid and seqid are required unsigned numbers") {
  expectError(
      "<xccos ver=\"1\" xmlns=\"urn:parlano:xml:ns:xccos\">" + std::string(kCmd) + "</xccos>",
      "envid");
  for (const char* bad : {"", "-1", "12a", " 7", "18446744073709551616"}) {
    expectError("<xccos ver=\"1\" envid=\"" + std::string(bad) +
                    "\" xmlns=\"urn:parlano:xml:ns:xccos\">" + std::string(kCmd) + "</xccos>",
                "envid");
  }
  expectError(envelope("<cmd id=\"cmd:requri\"><data/></cmd>"), "seqid");
  expectError(envelope("<cmd id=\"cmd:requri\" seqid=\"x\"><data/></cmd>"), "seqid");
  expectError(envelope("<grpchat chanUri=\"ma-chan://a.com/094f5a4a-c492-4f6b-91c2-385eba134fd3\">"
                       "<chat>x</chat></grpchat>"),
              "seqid");
  // The largest envid fits: server envids are 64-bit and a client may echo that style.
  auto max = decodeClient(
      "<xccos ver=\"1\" envid=\"18446744073709551615\" "
      "xmlns=\"urn:parlano:xml:ns:xccos\">" +
          std::string(kCmd) + "</xccos>",
      XmlLimits{});
  REQUIRE(max);
  CHECK(max->envid == 18446744073709551615u);
}

TEST_CASE("a client envelope holds exactly one cmd or grpchat") {
  expectError(envelope(""), "no cmd");
  expectError(envelope(std::string(kCmd) + std::string(kCmd)), "exactly one");
  expectError(envelope("<rpl id=\"rpl:requri\" seqid=\"1\"/>"), "not a client message");
  expectError(envelope("<cmd id=\"requri\" seqid=\"1\"><data/></cmd>"), "cmd:<name>");
  expectError(envelope("<cmd id=\"cmd:\" seqid=\"1\"><data/></cmd>"), "cmd:<name>");
  expectError(envelope("<cmd seqid=\"1\"><data/></cmd>"), "cmd:<name>");
  // Elements of other namespaces are extensions and are skipped.
  auto extended =
      decodeClient(envelope("<ext xmlns=\"urn:example\"/>" + std::string(kCmd)), XmlLimits{});
  REQUIRE(extended);
  CHECK(std::holds_alternative<RequestUriCommand>(extended->message));
}

TEST_CASE("chat text with characters XML forbids cannot even be expressed") {
  // &#1; is not a legal character reference in XML 1.0, so expat refuses it.
  expectError(envelope("<grpchat seqid=\"1\" chanUri=\"ma-chan://a.com/"
                       "094f5a4a-c492-4f6b-91c2-385eba134fd3\"><chat>a&#1;b</chat></grpchat>"),
              "xml:");
}

}  // namespace
}  // namespace core::groupchat
