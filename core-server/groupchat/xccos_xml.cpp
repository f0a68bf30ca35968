// SPDX-License-Identifier: Apache-2.0
#include "core-server/groupchat/xccos_xml.h"

#include <expat.h>

#include <climits>
#include <memory>

namespace core::groupchat {
namespace {

// Separates namespace URI and local name in expat's expanded names. U+0001 is
// not an XML 1.0 character, so it can appear in neither part.
constexpr char kNsSeparator = '\x01';

struct ParserDeleter {
  void operator()(XML_ParserStruct* parser) const { XML_ParserFree(parser); }
};
using ParserPtr = std::unique_ptr<XML_ParserStruct, ParserDeleter>;

void splitExpandedName(const XML_Char* expanded, std::string& ns, std::string& local) {
  const std::string_view name(expanded);
  const size_t sep = name.find(kNsSeparator);
  if (sep == std::string_view::npos) {
    ns.clear();
    local.assign(name);
  } else {
    ns.assign(name.substr(0, sep));
    local.assign(name.substr(sep + 1));
  }
}

// Builds the tree while expat parses. Pointers on the stack stay valid: a new
// child only grows the vector of the element on top, never an ancestor's.
class TreeBuilder {
 public:
  TreeBuilder(XML_Parser parser, const XmlLimits& limits) : parser_(parser), limits_(limits) {}

  void start(const XML_Char* name, const XML_Char** attrs) {
    if (failed()) {
      return;
    }
    if (++elements_ > limits_.max_elements) {
      return fail("too many elements");
    }
    if (stack_.size() >= limits_.max_depth) {
      return fail("nesting too deep");
    }
    XmlElement* element = nullptr;
    if (stack_.empty()) {
      element = &root_;
    } else {
      element = &stack_.back()->children.emplace_back();
    }
    splitExpandedName(name, element->ns, element->name);
    for (size_t i = 0; attrs[i] != nullptr; i += 2) {
      if (element->attributes.size() >= limits_.max_attributes) {
        return fail("too many attributes");
      }
      XmlAttribute& attribute = element->attributes.emplace_back();
      splitExpandedName(attrs[i], attribute.ns, attribute.name);
      attribute.value = attrs[i + 1];
      if (!addText(attribute.value.size())) {
        return;
      }
    }
    stack_.push_back(element);
  }

  // After a stop expat may still report the end of an element whose start we
  // refused (an empty element), so nothing is popped once we have failed.
  void end() {
    if (!failed()) {
      stack_.pop_back();
    }
  }

  void text(const XML_Char* data, int length) {
    if (failed() || stack_.empty() || length <= 0 || !addText(static_cast<size_t>(length))) {
      return;
    }
    stack_.back()->text.append(data, static_cast<size_t>(length));
  }

  // Stops the parse; XML_Parse then returns an error and we report `reason`.
  void fail(const char* reason) {
    if (error_.empty()) {
      error_ = reason;
      line_ = XML_GetCurrentLineNumber(parser_);
    }
    XML_StopParser(parser_, XML_FALSE);
  }

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  XML_Size line() const { return line_; }
  XmlElement takeRoot() { return std::move(root_); }

 private:
  bool addText(size_t bytes) {
    text_bytes_ += bytes;
    if (text_bytes_ > limits_.max_text_bytes) {
      fail("too much character data");
      return false;
    }
    return true;
  }

  XML_Parser parser_;
  const XmlLimits& limits_;
  XmlElement root_;
  std::vector<XmlElement*> stack_;
  uint32_t elements_ = 0;
  size_t text_bytes_ = 0;
  std::string error_;
  XML_Size line_ = 0;
};

TreeBuilder& builderOf(void* user_data) { return *static_cast<TreeBuilder*>(user_data); }

extern "C" {
void onStart(void* user_data, const XML_Char* name, const XML_Char** attrs) {
  builderOf(user_data).start(name, attrs);
}
void onEnd(void* user_data, const XML_Char*) { builderOf(user_data).end(); }
void onText(void* user_data, const XML_Char* data, int length) {
  builderOf(user_data).text(data, length);
}
// A DOCTYPE is how entities (billion laughs, external files) get in: refuse it.
void onDoctype(void* user_data, const XML_Char*, const XML_Char*, const XML_Char*, int) {
  builderOf(user_data).fail("DOCTYPE is not allowed");
}
void onEntityDecl(void* user_data, const XML_Char*, int, const XML_Char*, int, const XML_Char*,
                  const XML_Char*, const XML_Char*, const XML_Char*) {
  builderOf(user_data).fail("entity declarations are not allowed");
}
}

}  // namespace

std::optional<std::string_view> XmlElement::attribute(std::string_view wanted) const {
  for (const XmlAttribute& a : attributes) {
    if (a.ns.empty() && a.name == wanted) {
      return std::string_view(a.value);
    }
  }
  return std::nullopt;
}

const XmlElement* XmlElement::child(std::string_view wanted_ns, std::string_view wanted) const {
  for (const XmlElement& c : children) {
    if (c.ns == wanted_ns && c.name == wanted) {
      return &c;
    }
  }
  return nullptr;
}

std::vector<const XmlElement*> XmlElement::childrenNamed(std::string_view wanted_ns,
                                                         std::string_view wanted) const {
  std::vector<const XmlElement*> out;
  for (const XmlElement& c : children) {
    if (c.ns == wanted_ns && c.name == wanted) {
      out.push_back(&c);
    }
  }
  return out;
}

proxy::Result<XmlElement> parseXml(std::string_view xml, const XmlLimits& limits) {
  if (xml.size() > limits.max_bytes || xml.size() > static_cast<size_t>(INT_MAX)) {
    return proxy::makeError(
        413, "xml: document larger than " + std::to_string(limits.max_bytes) + " bytes");
  }
  ParserPtr parser(XML_ParserCreateNS(nullptr, kNsSeparator));
  if (!parser) {
    return proxy::makeError(500, "xml: cannot create parser");
  }
  TreeBuilder builder(parser.get(), limits);
  XML_SetUserData(parser.get(), &builder);
  XML_SetElementHandler(parser.get(), onStart, onEnd);
  XML_SetCharacterDataHandler(parser.get(), onText);
  XML_SetStartDoctypeDeclHandler(parser.get(), onDoctype);
  XML_SetEntityDeclHandler(parser.get(), onEntityDecl);
  XML_SetParamEntityParsing(parser.get(), XML_PARAM_ENTITY_PARSING_NEVER);

  const XML_Status status =
      XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), XML_TRUE);
  if (builder.failed()) {
    return proxy::makeError(
        400, "xml: " + builder.error() + " (line " + std::to_string(builder.line()) + ")");
  }
  if (status != XML_STATUS_OK) {
    return proxy::makeError(400, std::string("xml: ") +
                                     XML_ErrorString(XML_GetErrorCode(parser.get())) + " (line " +
                                     std::to_string(XML_GetCurrentLineNumber(parser.get())) + ")");
  }
  return builder.takeRoot();
}

}  // namespace core::groupchat
