// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/xml_tree.h"

#include <expat.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>

namespace core::presence {
namespace {

// Separates namespace URI, local name and prefix in the names expat reports.
// U+0001 cannot occur in XML 1.0 text, and expat refuses URIs containing the
// separator (CVE-2022-25236), so a name can never be split wrongly.
constexpr char kSeparator = '\x01';

struct SplitName {
  std::string_view ns, local, prefix;
};

SplitName splitName(std::string_view name) {
  SplitName out;
  const size_t first = name.find(kSeparator);
  if (first == std::string_view::npos) {
    out.local = name;
    return out;
  }
  out.ns = name.substr(0, first);
  const std::string_view rest = name.substr(first + 1);
  const size_t second = rest.find(kSeparator);
  if (second == std::string_view::npos) {
    out.local = rest;
  } else {
    out.local = rest.substr(0, second);
    out.prefix = rest.substr(second + 1);
  }
  return out;
}

using ParserPtr = std::unique_ptr<XML_ParserStruct, void (*)(XML_Parser)>;

// Creating and freeing an expat parser cost more than parsing a PIDF body, so
// each thread keeps one and resets it between documents (a nested parse, which
// finds the slot empty, gets its own).
thread_local ParserPtr t_spare_parser(nullptr, XML_ParserFree);

ParserPtr takeParser() {
  if (ParserPtr spare = std::move(t_spare_parser); spare && XML_ParserReset(spare.get(), nullptr)) {
    return spare;
  }
  return ParserPtr(XML_ParserCreateNS(nullptr, kSeparator), XML_ParserFree);
}

// Expat would otherwise draw a fresh hash salt (a getrandom() call) for every
// document; one secret per process protects its hash tables just as well.
unsigned long hashSalt() {
  static const unsigned long salt = [] {
    std::random_device device;
    const unsigned long high = device();
    return ((high << 16) << 16) ^ device() ^ 1UL;  // never 0: 0 asks expat for a new one
  }();
  return salt;
}

uint32_t firstElementFrom(const XmlDocument& doc, uint32_t id) {
  while (id != XmlDocument::kNone && doc.node(id).is_text) {
    id = doc.node(id).next_sibling;
  }
  return id;
}

}  // namespace

// ---- XmlDocument::Arena ---------------------------------------------------

std::string_view XmlDocument::Arena::store(std::string_view s) {
  if (s.empty()) {
    return {};
  }
  if (capacity_ - used_ < s.size()) {
    // Chunks grow 256, 512, ... 4096: a small document's strings fit in one small
    // block (a fresh 4 KiB block per document made malloc grow and trim its heap).
    const size_t size =
        std::max<size_t>(size_t{256} << std::min<size_t>(chunks_.size(), 4), s.size());
    chunks_.push_back(std::make_unique_for_overwrite<char[]>(size));  // no zeroing: overwritten
    used_ = 0;
    capacity_ = size;
  }
  char* dst = chunks_.back().get() + used_;
  std::memcpy(dst, s.data(), s.size());
  used_ += s.size();
  return {dst, s.size()};
}

// ---- Builder: expat callbacks -> nodes --------------------------------------

class XmlTreeBuilder {
 public:
  XmlTreeBuilder(XmlDocument& doc, const XmlLimits& limits, XML_Parser parser)
      : doc_(doc), limits_(limits), parser_(parser) {}

  const std::string& error() const { return error_; }

  static void XMLCALL onStart(void* self, const XML_Char* name, const XML_Char** atts) {
    static_cast<XmlTreeBuilder*>(self)->start(name, atts);
  }
  static void XMLCALL onEnd(void* self, const XML_Char* /*name*/) {
    static_cast<XmlTreeBuilder*>(self)->end();
  }
  static void XMLCALL onText(void* self, const XML_Char* s, int len) {
    auto* b = static_cast<XmlTreeBuilder*>(self);
    if (b->error_.empty() && !b->stack_.empty()) {
      b->pending_text_.append(s, static_cast<size_t>(len));
    }
  }
  static void XMLCALL onNsStart(void* self, const XML_Char* prefix, const XML_Char* uri) {
    auto* b = static_cast<XmlTreeBuilder*>(self);
    b->pending_decls_.push_back(
        XmlNsDecl{b->doc_.arena_.store(prefix ? prefix : ""), b->internNamespace(uri ? uri : "")});
  }
  // Refusing the DOCTYPE refuses every entity definition with it: no billion
  // laughs, no external entities, no quadratic blowup.
  static void XMLCALL onDoctype(void* self, const XML_Char*, const XML_Char*, const XML_Char*,
                                int) {
    static_cast<XmlTreeBuilder*>(self)->fail("XML: DOCTYPE is not allowed");
  }
  static void XMLCALL onEntityDecl(void* self, const XML_Char*, int, const XML_Char*, int,
                                   const XML_Char*, const XML_Char*, const XML_Char*,
                                   const XML_Char*) {
    static_cast<XmlTreeBuilder*>(self)->fail("XML: ENTITY declarations are not allowed");
  }

  void fail(std::string reason) {
    if (error_.empty()) {
      error_ = std::move(reason);
      XML_StopParser(parser_, XML_FALSE);
    }
  }

 private:
  // Real documents use a handful of namespaces; sharing their storage keeps the
  // arena small. The table is capped so that a document declaring thousands of
  // namespaces costs linear time, not quadratic.
  std::string_view internNamespace(std::string_view uri) {
    for (std::string_view known : doc_.namespaces_) {
      if (known == uri) {
        return known;
      }
    }
    const std::string_view stored = doc_.arena_.store(uri);
    if (doc_.namespaces_.size() < kMaxInterned) {
      doc_.namespaces_.push_back(stored);
    }
    return stored;
  }

  static constexpr size_t kMaxInterned = 32;

  uint32_t append(XmlDocument::Node node) {
    const auto id = static_cast<uint32_t>(doc_.nodes_.size());
    if (!stack_.empty()) {
      XmlDocument::Node& parent = doc_.nodes_[stack_.back()];
      node.parent = stack_.back();
      if (parent.last_child == XmlDocument::kNone) {
        parent.first_child = id;
      } else {
        doc_.nodes_[parent.last_child].next_sibling = id;
      }
      parent.last_child = id;
    }
    doc_.nodes_.push_back(node);
    return id;
  }

  void flushText() {
    if (pending_text_.empty()) {
      return;
    }
    XmlDocument::Node text;
    text.is_text = true;
    text.text = doc_.arena_.store(pending_text_);
    append(text);
    pending_text_.clear();
  }

  void start(const XML_Char* name, const XML_Char** atts) {
    if (!error_.empty()) {
      return;
    }
    size_t attr_count = 0;
    while (atts[2 * attr_count] != nullptr) {
      ++attr_count;
    }
    if (++element_count_ > limits_.max_elements) {
      return fail("XML: more than " + std::to_string(limits_.max_elements) + " elements");
    }
    if (stack_.size() + 1 > limits_.max_depth) {
      return fail("XML: nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
    }
    if (attr_count + pending_decls_.size() > limits_.max_attributes) {
      return fail("XML: more than " + std::to_string(limits_.max_attributes) +
                  " attributes on one element");
    }
    flushText();
    const SplitName split = splitName(name);
    XmlDocument::Node node;
    node.ns = internNamespace(split.ns);
    node.local = doc_.arena_.store(split.local);
    node.prefix = doc_.arena_.store(split.prefix);
    node.first_attr = static_cast<uint32_t>(doc_.attrs_.size());
    node.attr_count = static_cast<uint32_t>(attr_count);
    for (size_t i = 0; i < attr_count; ++i) {
      const SplitName a = splitName(atts[2 * i]);
      doc_.attrs_.push_back(XmlAttribute{internNamespace(a.ns), doc_.arena_.store(a.local),
                                         doc_.arena_.store(a.prefix),
                                         doc_.arena_.store(atts[2 * i + 1])});
    }
    node.first_decl = static_cast<uint32_t>(doc_.decls_.size());
    node.decl_count = static_cast<uint32_t>(pending_decls_.size());
    doc_.decls_.insert(doc_.decls_.end(), pending_decls_.begin(), pending_decls_.end());
    pending_decls_.clear();
    stack_.push_back(append(node));
  }

  void end() {
    if (!error_.empty() || stack_.empty()) {
      return;
    }
    flushText();
    stack_.pop_back();
  }

  XmlDocument& doc_;
  const XmlLimits& limits_;
  XML_Parser parser_;
  std::vector<uint32_t> stack_;
  std::vector<XmlNsDecl> pending_decls_;
  std::string pending_text_;
  std::string error_;
  uint32_t element_count_ = 0;
};

proxy::Result<XmlDocument> XmlDocument::parse(std::string_view xml, const XmlLimits& limits) {
  if (xml.size() > limits.max_bytes) {
    return proxy::makeError(400, "XML: body of " + std::to_string(xml.size()) +
                                     " bytes exceeds the limit of " +
                                     std::to_string(limits.max_bytes));
  }
  if (xml.size() > static_cast<size_t>(INT32_MAX)) {  // XML_Parse takes an int length
    return proxy::makeError(400, "XML: body too large");
  }
  ParserPtr parser = takeParser();
  if (!parser) {
    return proxy::makeError(500, "XML: cannot create parser");
  }
  struct KeepSpare {  // hands the parser back to the thread's slot on every return
    ParserPtr& parser;
    ~KeepSpare() {
      if (!t_spare_parser) {
        t_spare_parser = std::move(parser);
      }
    }
  } keep_spare{parser};
  XML_Parser p = parser.get();
  XmlDocument doc;
  XmlTreeBuilder builder(doc, limits, p);
  XML_SetUserData(p, &builder);
  XML_SetReturnNSTriplet(p, XML_TRUE);
  XML_SetElementHandler(p, &XmlTreeBuilder::onStart, &XmlTreeBuilder::onEnd);
  XML_SetCharacterDataHandler(p, &XmlTreeBuilder::onText);
  XML_SetStartNamespaceDeclHandler(p, &XmlTreeBuilder::onNsStart);
  XML_SetStartDoctypeDeclHandler(p, &XmlTreeBuilder::onDoctype);
  XML_SetEntityDeclHandler(p, &XmlTreeBuilder::onEntityDecl);
  XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
  XML_SetHashSalt(p, hashSalt());
#ifdef CONFAB_HAVE_EXPAT_BILLION_LAUGHS
  // Belt and braces: declarations never get this far, but if they did, expat
  // (>= 2.4) would still cap the expansion ratio.
  XML_SetBillionLaughsAttackProtectionMaximumAmplification(p, 2.0F);
  XML_SetBillionLaughsAttackProtectionActivationThreshold(p, 64ULL * 1024);
#endif

  const XML_Status status = XML_Parse(p, xml.data(), static_cast<int>(xml.size()), XML_TRUE);
  if (!builder.error().empty()) {
    return proxy::makeError(400, builder.error());
  }
  if (status != XML_STATUS_OK) {
    return proxy::makeError(400, std::string("XML: ") + XML_ErrorString(XML_GetErrorCode(p)) +
                                     " at line " + std::to_string(XML_GetCurrentLineNumber(p)) +
                                     ", column " + std::to_string(XML_GetCurrentColumnNumber(p)));
  }
  if (doc.nodes_.empty()) {
    return proxy::makeError(400, "XML: no root element");
  }
  return doc;
}

// ---- XmlElement -------------------------------------------------------------

std::string_view XmlElement::ns() const { return doc_->node(id_).ns; }
std::string_view XmlElement::local() const { return doc_->node(id_).local; }
std::string_view XmlElement::prefix() const { return doc_->node(id_).prefix; }

bool XmlElement::is(std::string_view ns, std::string_view local) const {
  const XmlDocument::Node& n = doc_->node(id_);
  return n.local == local && n.ns == ns;
}

std::string XmlElement::expandedName() const {
  const XmlDocument::Node& n = doc_->node(id_);
  if (n.ns.empty()) {
    return std::string(n.local);
  }
  std::string out = "{";
  out.append(n.ns).append("}").append(n.local);
  return out;
}

std::span<const XmlAttribute> XmlElement::attributes() const {
  return doc_->attributesOf(doc_->node(id_));
}

std::span<const XmlNsDecl> XmlElement::nsDecls() const { return doc_->declsOf(doc_->node(id_)); }

std::optional<std::string_view> XmlElement::attribute(std::string_view local,
                                                      std::string_view ns) const {
  for (const XmlAttribute& a : attributes()) {
    if (a.local == local && a.ns == ns) {
      return a.value;
    }
  }
  return std::nullopt;
}

std::string XmlElement::text() const {
  std::string out;
  for (uint32_t c = doc_->node(id_).first_child; c != XmlDocument::kNone;
       c = doc_->node(c).next_sibling) {
    if (doc_->node(c).is_text) {
      out.append(doc_->node(c).text);
    }
  }
  return out;
}

bool XmlElement::hasElementChildren() const {
  return firstElementFrom(*doc_, doc_->node(id_).first_child) != XmlDocument::kNone;
}

XmlElement::Children XmlElement::children() const {
  return Children(doc_, firstElementFrom(*doc_, doc_->node(id_).first_child));
}

std::optional<XmlElement> XmlElement::firstChild(std::string_view ns,
                                                 std::string_view local) const {
  for (XmlElement child : children()) {
    if (child.is(ns, local)) {
      return child;
    }
  }
  return std::nullopt;
}

XmlElement::Iterator& XmlElement::Iterator::operator++() {
  id_ = firstElementFrom(*doc_, doc_->node(id_).next_sibling);
  return *this;
}

}  // namespace core::presence
