// SPDX-License-Identifier: Apache-2.0
// A small read-only XML tree built with expat, hardened for bodies that arrive from
// the network: DOCTYPE and entity declarations are refused outright (so no entity
// expansion, internal or external, ever happens), and size, depth, element and
// attribute counts are bounded by XmlLimits. Names are namespace-resolved
// ({uri, local}) and keep their prefix and the element's own xmlns declarations,
// so a subtree can be written back faithfully (xml_fragment.h). All strings live in
// the document's arena: views stay valid for the document's lifetime, including
// across moves. Single-threaded value; not copyable.
#pragma once

#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core-server/presence/xml_limits.h"
#include "proxy/base/result.h"

namespace core::presence {

class XmlDocument;

// Namespace of the xml: prefix (xml:lang), bound by definition.
inline constexpr std::string_view kXmlNamespace = "http://www.w3.org/XML/1998/namespace";

struct XmlAttribute {
  std::string_view ns;  // "" for unprefixed attributes (they have no namespace)
  std::string_view local;
  std::string_view prefix;
  std::string_view value;
};

struct XmlNsDecl {
  std::string_view prefix;  // "" = default namespace
  std::string_view uri;     // "" = undeclared (xmlns="")
};

// A handle on one element of a document: cheap to copy, valid while the document is.
class XmlElement {
 public:
  class Iterator;
  class Children;

  XmlElement(const XmlDocument& doc, uint32_t id) : doc_(&doc), id_(id) {}

  std::string_view ns() const;
  std::string_view local() const;
  std::string_view prefix() const;
  bool is(std::string_view ns, std::string_view local) const;
  // "{ns}local", or "local" without namespace: for error messages.
  std::string expandedName() const;

  std::span<const XmlAttribute> attributes() const;
  std::span<const XmlNsDecl> nsDecls() const;  // declared on this element
  // An unqualified attribute by default; pass `ns` for xml:lang, xsi:type...
  std::optional<std::string_view> attribute(std::string_view local, std::string_view ns = {}) const;

  // The element's direct text content (child elements skipped), concatenated. A new
  // string: do not keep a view into the temporary.
  std::string text() const;
  bool hasElementChildren() const;

  Children children() const;  // child elements only, document order
  std::optional<XmlElement> firstChild(std::string_view ns, std::string_view local) const;

  // Raw access for code that walks every node, text included (xml_fragment.cpp).
  uint32_t id() const { return id_; }
  const XmlDocument& document() const { return *doc_; }

 private:
  const XmlDocument* doc_;
  uint32_t id_;
};

class XmlDocument {
 public:
  // Parses `xml` under `limits`. Errors carry status 400 and a reason such as
  // "XML: DOCTYPE is not allowed" or "XML: not well-formed (invalid token) at
  // line 3, column 7".
  static proxy::Result<XmlDocument> parse(std::string_view xml, const XmlLimits& limits);

  XmlDocument(XmlDocument&&) noexcept = default;
  XmlDocument& operator=(XmlDocument&&) noexcept = default;
  XmlDocument(const XmlDocument&) = delete;
  XmlDocument& operator=(const XmlDocument&) = delete;
  ~XmlDocument() = default;

  XmlElement root() const { return XmlElement(*this, 0); }

  // Node storage, exposed for XmlElement and the fragment writer.
  static constexpr uint32_t kNone = UINT32_MAX;
  struct Node {
    bool is_text = false;
    uint32_t parent = kNone;
    uint32_t first_child = kNone;
    uint32_t last_child = kNone;
    uint32_t next_sibling = kNone;
    std::string_view ns, local, prefix;  // elements
    std::string_view text;               // text nodes
    uint32_t first_attr = 0, attr_count = 0;
    uint32_t first_decl = 0, decl_count = 0;
  };
  const Node& node(uint32_t id) const { return nodes_[id]; }
  std::span<const XmlAttribute> attributesOf(const Node& n) const {
    return {attrs_.data() + n.first_attr, n.attr_count};
  }
  std::span<const XmlNsDecl> declsOf(const Node& n) const {
    return {decls_.data() + n.first_decl, n.decl_count};
  }

 private:
  friend class XmlTreeBuilder;
  XmlDocument() = default;

  // Stable storage for every string: chunks never move once allocated.
  class Arena {
   public:
    std::string_view store(std::string_view s);

   private:
    std::vector<std::unique_ptr<char[]>> chunks_;
    size_t used_ = 0;
    size_t capacity_ = 0;
  };

  std::vector<Node> nodes_;
  std::vector<XmlAttribute> attrs_;
  std::vector<XmlNsDecl> decls_;
  std::vector<std::string_view> namespaces_;  // interned namespace URIs
  Arena arena_;
};

class XmlElement::Iterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = XmlElement;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using reference = XmlElement;

  Iterator(const XmlDocument* doc, uint32_t id) : doc_(doc), id_(id) {}
  XmlElement operator*() const { return XmlElement(*doc_, id_); }
  Iterator& operator++();
  Iterator operator++(int) {
    Iterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const Iterator& other) const { return id_ == other.id_; }

 private:
  const XmlDocument* doc_;
  uint32_t id_;
};

class XmlElement::Children {
 public:
  Children(const XmlDocument* doc, uint32_t first) : doc_(doc), first_(first) {}
  Iterator begin() const { return Iterator(doc_, first_); }
  Iterator end() const { return Iterator(doc_, XmlDocument::kNone); }

 private:
  const XmlDocument* doc_;
  uint32_t first_;
};

}  // namespace core::presence
