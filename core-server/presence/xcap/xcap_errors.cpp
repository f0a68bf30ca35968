// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/xcap/xcap_errors.h"

#include <array>

#include "core-server/presence/xml_writer.h"

namespace core::presence::xcap {
namespace {

constexpr std::array<std::string_view, 8> kElements = {
    "not-well-formed",    "not-xml-frag", "schema-validation-error", "uniqueness-failure",
    "constraint-failure", "no-parent",    "cannot-insert",           "cannot-delete"};

}  // namespace

proxy::Error conflict(std::string_view element, std::string_view phrase) {
  return proxy::makeError(409, std::string(element) + ": " + std::string(phrase));
}

std::string errorDocument(const proxy::Error& error) {
  std::string_view element = "constraint-failure";
  std::string_view phrase = error.detail;
  const size_t colon = phrase.find(": ");
  if (colon != std::string_view::npos) {
    for (std::string_view known : kElements) {
      if (phrase.substr(0, colon) == known) {
        element = known;
        phrase.remove_prefix(colon + 2);
        break;
      }
    }
  }
  std::string out;
  XmlWriter w(out);
  w.declaration();
  w.open("xcap-error");
  w.attribute("xmlns", kXcapErrorNs);
  w.open(element);
  if (!phrase.empty()) {
    w.attribute("phrase", phrase.substr(0, 200));
  }
  w.close();
  w.close();
  return out;
}

}  // namespace core::presence::xcap
