// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/xml_writer.h"

#include "proxy/base/assert.h"

namespace core::presence {
namespace {

// XML 1.0 §2.2: only TAB, LF and CR are allowed below U+0020.
bool forbiddenControl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

}  // namespace

void appendEscapedText(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";  // also keeps "]]>" out of character data
        break;
      case '\r':
        out += "&#13;";  // a literal CR would be normalised away (XML 1.0 §2.11)
        break;
      default:
        if (!forbiddenControl(c)) {
          out += c;
        }
    }
  }
}

void appendEscapedAttribute(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      // Attribute-value normalisation (XML 1.0 §3.3.3) would turn these into spaces.
      case '\t':
        out += "&#9;";
        break;
      case '\n':
        out += "&#10;";
        break;
      case '\r':
        out += "&#13;";
        break;
      default:
        if (!forbiddenControl(c)) {
          out += c;
        }
    }
  }
}

void XmlWriter::declaration() { out_ += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"; }

void XmlWriter::finishStartTag() {
  if (start_tag_open_) {
    out_ += '>';
    start_tag_open_ = false;
  }
}

void XmlWriter::open(std::string_view qname) {
  finishStartTag();
  out_ += '<';
  out_ += qname;
  stack_.emplace_back(qname);
  start_tag_open_ = true;
}

void XmlWriter::attribute(std::string_view qname, std::string_view value) {
  ASSERT(start_tag_open_);
  out_ += ' ';
  out_ += qname;
  out_ += "=\"";
  appendEscapedAttribute(out_, value);
  out_ += '"';
}

void XmlWriter::text(std::string_view text) {
  if (text.empty()) {
    return;
  }
  finishStartTag();
  appendEscapedText(out_, text);
}

void XmlWriter::raw(std::string_view xml) {
  finishStartTag();
  out_ += xml;
}

void XmlWriter::close() {
  ASSERT(!stack_.empty());
  if (start_tag_open_) {  // nothing was written inside
    out_ += "/>";
    start_tag_open_ = false;
  } else {
    finishStartTag();
    out_ += "</";
    out_ += stack_.back();
    out_ += '>';
  }
  stack_.pop_back();
}

void XmlWriter::leaf(std::string_view qname, std::string_view text) {
  open(qname);
  this->text(text);
  close();
}

}  // namespace core::presence
