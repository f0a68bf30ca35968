// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/xml_fragment.h"

#include <string_view>
#include <utility>
#include <vector>

#include "core-server/presence/xml_writer.h"

namespace core::presence {
namespace {

// Output-side namespace scope: the bindings our written text has established.
class Scope {
 public:
  // nullopt = the prefix is not bound by anything we wrote (so the enclosing
  // document might bind it to anything).
  std::optional<std::string_view> lookup(std::string_view prefix) const {
    for (auto it = bindings_.rbegin(); it != bindings_.rend(); ++it) {
      if (it->first == prefix) {
        return it->second;
      }
    }
    return std::nullopt;
  }
  void bind(std::string_view prefix, std::string_view uri) { bindings_.emplace_back(prefix, uri); }
  size_t mark() const { return bindings_.size(); }
  void rewind(size_t mark) { bindings_.resize(mark); }

 private:
  std::vector<std::pair<std::string_view, std::string_view>> bindings_;
};

std::string qualified(std::string_view prefix, std::string_view local) {
  std::string q;
  if (!prefix.empty()) {
    q.append(prefix).append(":");
  }
  q.append(local);
  return q;
}

void declare(XmlWriter& w, Scope& scope, std::string_view prefix, std::string_view uri) {
  w.attribute(prefix.empty() ? std::string("xmlns") : "xmlns:" + std::string(prefix), uri);
  scope.bind(prefix, uri);
}

// Declares (prefix -> uri) unless the output already binds it that way.
void ensure(XmlWriter& w, Scope& scope, std::string_view prefix, std::string_view uri) {
  if (prefix == "xml") {
    return;  // bound by definition, must not be declared
  }
  const auto bound = scope.lookup(prefix);
  if (!bound || *bound != uri) {
    declare(w, scope, prefix, uri);
  }
}

void writeElement(const XmlDocument& doc, uint32_t id, XmlWriter& w, Scope& scope) {
  const XmlDocument::Node& n = doc.node(id);
  const size_t mark = scope.mark();
  w.open(qualified(n.prefix, n.local));
  for (const XmlNsDecl& d : doc.declsOf(n)) {
    ensure(w, scope, d.prefix, d.uri);  // keeps the author's declarations
  }
  ensure(w, scope, n.prefix, n.ns);
  for (const XmlAttribute& a : doc.attributesOf(n)) {
    if (!a.ns.empty()) {
      ensure(w, scope, a.prefix, a.ns);
    }
  }
  for (const XmlAttribute& a : doc.attributesOf(n)) {
    w.attribute(qualified(a.prefix, a.local), a.value);
  }
  for (uint32_t c = n.first_child; c != XmlDocument::kNone; c = doc.node(c).next_sibling) {
    if (doc.node(c).is_text) {
      w.text(doc.node(c).text);
    } else {
      writeElement(doc, c, w, scope);
    }
  }
  w.close();
  scope.rewind(mark);
}

}  // namespace

std::string serializeFragment(const XmlElement& element) {
  std::string out;
  XmlWriter w(out);
  Scope scope;
  writeElement(element.document(), element.id(), w, scope);
  return out;
}

std::string serializeChildren(const XmlElement& parent) {
  std::string out;
  for (XmlElement child : parent.children()) {
    out += serializeFragment(child);
  }
  return out;
}

}  // namespace core::presence
