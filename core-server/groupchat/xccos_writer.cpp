// SPDX-License-Identifier: Apache-2.0
#include "core-server/groupchat/xccos_writer.h"

#include "core-server/groupchat/xccos_text.h"
#include "proxy/base/assert.h"

namespace core::groupchat {

XmlWriter& XmlWriter::open(std::string_view name) {
  finishStartTag();
  out_.append("<").append(name);
  open_.emplace_back(name);
  in_start_tag_ = true;
  return *this;
}

XmlWriter& XmlWriter::attribute(std::string_view name, std::string_view value) {
  ASSERT(in_start_tag_);  // a coding error in the encoder, never network input
  out_.append(" ").append(name).append("=\"");
  appendXmlAttribute(out_, value);
  out_.append("\"");
  return *this;
}

XmlWriter& XmlWriter::attribute(std::string_view name, uint64_t value) {
  return attribute(name, std::string_view(std::to_string(value)));
}

XmlWriter& XmlWriter::text(std::string_view text) {
  ASSERT(!open_.empty());
  finishStartTag();
  appendXmlText(out_, text);
  return *this;
}

XmlWriter& XmlWriter::close() {
  ASSERT(!open_.empty());
  if (in_start_tag_) {
    out_.append("/>");
    in_start_tag_ = false;
  } else {
    out_.append("</").append(open_.back()).append(">");
  }
  open_.pop_back();
  return *this;
}

void XmlWriter::finishStartTag() {
  if (in_start_tag_) {
    out_.append(">");
    in_start_tag_ = false;
  }
}

}  // namespace core::groupchat
