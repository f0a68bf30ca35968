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

// Both escapers copy runs of characters that need nothing in one append: most
// text has no markup characters at all.
void appendEscapedText(std::string& out, std::string_view text) {
  size_t run = 0;  // start of the pending run of characters copied as they are
  for (size_t i = 0; i < text.size(); ++i) {
    if (static_cast<unsigned char>(text[i]) > '>') {
      continue;  // above every character that needs escaping: letters, UTF-8
    }
    const char* entity = nullptr;
    switch (text[i]) {
      case '&':
        entity = "&amp;";
        break;
      case '<':
        entity = "&lt;";
        break;
      case '>':
        entity = "&gt;";  // also keeps "]]>" out of character data
        break;
      case '\r':
        entity = "&#13;";  // a literal CR would be normalised away (XML 1.0 §2.11)
        break;
      default:
        if (!forbiddenControl(text[i])) {
          continue;
        }
    }
    out.append(text.data() + run, i - run);
    if (entity != nullptr) {
      out += entity;
    }
    run = i + 1;
  }
  out.append(text.data() + run, text.size() - run);
}

void appendEscapedAttribute(std::string& out, std::string_view value) {
  size_t run = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    if (static_cast<unsigned char>(value[i]) > '>') {
      continue;
    }
    const char* entity = nullptr;
    switch (value[i]) {
      case '&':
        entity = "&amp;";
        break;
      case '<':
        entity = "&lt;";
        break;
      case '>':
        entity = "&gt;";
        break;
      case '"':
        entity = "&quot;";
        break;
      // Attribute-value normalisation (XML 1.0 §3.3.3) would turn these into spaces.
      case '\t':
        entity = "&#9;";
        break;
      case '\n':
        entity = "&#10;";
        break;
      case '\r':
        entity = "&#13;";
        break;
      default:
        if (!forbiddenControl(value[i])) {
          continue;
        }
    }
    out.append(value.data() + run, i - run);
    if (entity != nullptr) {
      out += entity;
    }
    run = i + 1;
  }
  out.append(value.data() + run, value.size() - run);
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
