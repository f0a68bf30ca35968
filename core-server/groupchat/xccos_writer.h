// SPDX-License-Identifier: Apache-2.0
// A minimal streaming XML writer for the XCCOS encoder. It tracks open
// elements, writes empty elements as `<x/>`, and escapes every attribute value
// and text node through xccos_text.h, so whatever the data (database rows,
// user text) the output is well-formed XML 1.0. Single-threaded value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace core::groupchat {

class XmlWriter {
 public:
  // Starts <name ...>; attributes may follow until text() or a child open().
  XmlWriter& open(std::string_view name);
  XmlWriter& attribute(std::string_view name, std::string_view value);
  XmlWriter& attribute(std::string_view name, uint64_t value);
  XmlWriter& text(std::string_view text);
  // Ends the innermost open element (`/>` if it got no content).
  XmlWriter& close();

  size_t depth() const { return open_.size(); }
  size_t size() const { return out_.size(); }
  // The document so far; call when depth() == 0 for a complete document.
  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void finishStartTag();

  std::string out_;
  std::vector<std::string> open_;
  bool in_start_tag_ = false;
};

}  // namespace core::groupchat
