// SPDX-License-Identifier: Apache-2.0
// A minimal streaming XML writer: start tags, attributes, escaped text and
// pre-serialized fragments appended to a caller-owned string. It escapes
// everything it is given and drops characters XML 1.0 cannot carry (C0 controls
// other than tab, LF, CR), so model text from any dialect is safe to write. It
// does not check namespaces; renderers declare what they use on the root.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace core::presence {

// Appends `text` escaped for character data (& < > and CR as &#13;).
void appendEscapedText(std::string& out, std::string_view text);
// Appends `value` escaped for a double-quoted attribute (also " and TAB/LF/CR).
void appendEscapedAttribute(std::string& out, std::string_view value);

class XmlWriter {
 public:
  explicit XmlWriter(std::string& out) : out_(out) {}

  void declaration();  // <?xml version="1.0" encoding="UTF-8"?>
  void open(std::string_view qname);
  // Only directly after open() (or another attribute()).
  void attribute(std::string_view qname, std::string_view value);
  void text(std::string_view text);
  // A complete, self-contained element serialized elsewhere (a passthrough fragment).
  void raw(std::string_view xml);
  void close();
  // open + text + close; an empty text gives <qname/>.
  void leaf(std::string_view qname, std::string_view text);

  size_t depth() const { return stack_.size(); }

 private:
  void finishStartTag();

  std::string& out_;
  std::vector<std::string> stack_;  // owned: callers may pass temporary qnames
  bool start_tag_open_ = false;
};

}  // namespace core::presence
