// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/xcap/xcap_operations.h"

#include <algorithm>

#include "core-server/presence/xcap/xcap_document.h"
#include "core-server/presence/xcap/xcap_errors.h"
#include "proxy/base/strings.h"
#include "proxy/sip/digest.h"

namespace core::presence::xcap {
namespace {

using proxy::Result;

XcapOutcome failure(const proxy::Error& error) {
  XcapOutcome out;
  out.status = static_cast<unsigned>(error.status);
  if (error.status == 409) {
    out.content_type = std::string(kXcapErrorType);
    out.body = errorDocument(error);
  } else {
    out.content_type = "text/plain";
    out.body = error.detail + "\n";
  }
  return out;
}

XcapOutcome status(unsigned code, std::string_view text) {
  return failure(proxy::makeError(static_cast<int>(code), std::string(text)));
}

// Index of the node a predicate selects among `count` candidates; nullopt = none.
template <typename T, typename Key>
std::optional<size_t> select(const std::vector<T>& nodes, const StepPredicate& p, Key key) {
  if (p.position) {
    if (*p.position <= nodes.size()) {
      return *p.position - 1;
    }
    return std::nullopt;
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (key(nodes[i], *p.value)) {
      return i;
    }
  }
  return std::nullopt;
}

bool listNamed(const XcapList& l, std::string_view name) { return l.name == name; }
bool entryFor(const XcapEntry& e, std::string_view uri) {
  const std::string normal = roaming::normalizeContactUri(uri);
  return !normal.empty() && proxy::iequals(e.uri, normal);
}

// The node's new content must still be what its selector names (RFC 4825 §7.4, §8.2.5).
bool keepsSelector(const StepPredicate& p, std::string_view value, bool uri) {
  if (!p.value) {
    return true;
  }
  return uri ? !roaming::normalizeContactUri(*p.value).empty() &&
                   proxy::iequals(roaming::normalizeContactUri(*p.value), value)
             : *p.value == value;
}

Result<XcapDocument> edit(std::string_view method, const NodeSelector& node, std::string_view body,
                          XcapDocument doc, const XcapLimits& limits, bool& created) {
  const bool put = method == "PUT";
  if (node.kind == NodeKind::Document) {
    if (!put) {
      return XcapDocument{};  // DELETE: an empty list (the default group stays)
    }
    return parseDocument(body, limits.xml);
  }
  auto list_at = select(doc.lists, node.list, listNamed);
  if (node.kind == NodeKind::List) {
    if (!put) {
      if (!list_at) {
        return proxy::makeError(404, "no such list");
      }
      if (doc.lists[*list_at].name == roaming::kDefaultGroupName) {
        return conflict("cannot-delete", "the default list \"~\" cannot be deleted");
      }
      doc.lists.erase(doc.lists.begin() + static_cast<ptrdiff_t>(*list_at));
      return doc;
    }
    auto list = parseListElement(body, limits.xml);
    if (!list) {
      return list.error();
    }
    if (!keepsSelector(node.list, list->name, false)) {
      return conflict("cannot-insert", "the list's name differs from the one selected");
    }
    if (list_at) {
      if (doc.list(list->name) != nullptr && doc.lists[*list_at].name != list->name) {
        return conflict("uniqueness-failure", "a list named " + list->name + " exists");
      }
      doc.lists[*list_at] = std::move(*list);
      return doc;
    }
    if (node.list.position && *node.list.position != doc.lists.size() + 1) {
      return conflict("cannot-insert", "no list at that position");
    }
    if (doc.list(list->name) != nullptr) {
      return conflict("uniqueness-failure", "a list named " + list->name + " exists");
    }
    created = true;
    doc.lists.push_back(std::move(*list));
    return doc;
  }
  if (!list_at) {
    return put ? conflict("no-parent", "no such list") : proxy::makeError(404, "no such list");
  }
  XcapList& list = doc.lists[*list_at];
  auto entry_at = select(list.entries, node.entry, entryFor);
  if (!put) {
    if (!entry_at) {
      return proxy::makeError(404, "no such entry");
    }
    list.entries.erase(list.entries.begin() + static_cast<ptrdiff_t>(*entry_at));
    return doc;
  }
  auto entry = parseEntryElement(body, limits.xml);
  if (!entry) {
    return entry.error();
  }
  if (!keepsSelector(node.entry, entry->uri, true)) {
    return conflict("cannot-insert", "the entry's uri differs from the one selected");
  }
  auto same = std::find_if(list.entries.begin(), list.entries.end(),
                           [&entry](const XcapEntry& e) { return e.uri == entry->uri; });
  if (entry_at) {
    if (same != list.entries.end() && same != list.entries.begin() + *entry_at) {
      return conflict("uniqueness-failure", entry->uri + " is in the list already");
    }
    list.entries[*entry_at] = std::move(*entry);
    return doc;
  }
  if (node.entry.position && *node.entry.position != list.entries.size() + 1) {
    return conflict("cannot-insert", "no entry at that position");
  }
  if (same != list.entries.end()) {
    return conflict("uniqueness-failure", entry->uri + " is in the list already");
  }
  created = true;
  list.entries.push_back(std::move(*entry));
  return doc;
}

XcapOutcome get(const NodeSelector& node, XcapDocument doc, std::string etag) {
  XcapOutcome out;
  out.etag = std::move(etag);
  if (node.kind == NodeKind::Document) {
    out.content_type = std::string(kResourceListsType);
    out.body = renderDocument(doc);
    return out;
  }
  auto list_at = select(doc.lists, node.list, listNamed);
  if (!list_at) {
    return status(404, "no such list");
  }
  out.content_type = std::string(kElementType);
  if (node.kind == NodeKind::List) {
    out.body = renderListElement(doc.lists[*list_at]);
    return out;
  }
  auto entry_at = select(doc.lists[*list_at].entries, node.entry, entryFor);
  if (!entry_at) {
    return status(404, "no such entry");
  }
  out.body = renderEntryElement(doc.lists[*list_at].entries[*entry_at]);
  return out;
}

}  // namespace

std::string documentEtag(const roaming::ContactList& contacts) {
  const std::string hex = proxy::sip::digestHex(proxy::sip::DigestAlgorithm::Sha256,
                                                renderDocument(documentOf(contacts)));
  return "\"" + hex.substr(0, 24) + "\"";
}

bool etagMatches(std::string_view header, std::string_view etag) {
  size_t start = 0;
  while (start <= header.size()) {
    size_t comma = header.find(',', start);
    if (comma == std::string_view::npos) {
      comma = header.size();
    }
    std::string_view item = proxy::trim(header.substr(start, comma - start));
    if (item.starts_with("W/")) {
      item.remove_prefix(2);  // weak comparison is enough for If-None-Match; ours are strong
    }
    if (item == "*" || (!etag.empty() && item == etag)) {
      return true;
    }
    start = comma + 1;
  }
  return false;
}

XcapOutcome runXcap(std::string_view method, const NodeSelector& node, std::string_view body,
                    const XcapConditions& conditions, const roaming::ContactList* current,
                    const XcapLimits& limits) {
  const bool get_like = method == "GET";
  if (!get_like && method != "PUT" && method != "DELETE") {
    return status(405, "method not allowed");
  }
  const std::string etag = current != nullptr ? documentEtag(*current) : std::string();
  if (!conditions.if_match.empty() &&
      (current == nullptr || !etagMatches(conditions.if_match, etag))) {
    return status(412, "If-Match does not match the document's ETag");
  }
  if (!conditions.if_none_match.empty() && current != nullptr &&
      etagMatches(conditions.if_none_match, etag)) {
    if (get_like) {
      XcapOutcome out;
      out.status = 304;
      out.etag = etag;
      return out;
    }
    return status(412, "If-None-Match matches the document's ETag");
  }
  if (current == nullptr && !(method == "PUT" && node.kind == NodeKind::Document)) {
    if (method == "PUT") {
      return failure(conflict("no-parent", "the user has no resource-lists document yet"));
    }
    return status(404, "no resource-lists document");
  }
  if (get_like) {
    return get(node, documentOf(*current), etag);
  }
  bool created = current == nullptr;
  auto next_doc = edit(method, node, body,
                       current != nullptr ? documentOf(*current) : XcapDocument{}, limits, created);
  if (!next_doc) {
    return failure(next_doc.error());
  }
  // The default list "~" is always there, given or not.
  const size_t lists =
      next_doc->lists.size() + (next_doc->list(roaming::kDefaultGroupName) == nullptr ? 1 : 0);
  if (lists > limits.contacts.max_groups) {
    return failure(
        conflict("constraint-failure",
                 "too many lists (at most " + std::to_string(limits.contacts.max_groups) + ")"));
  }
  if (next_doc->entryCount() > limits.max_entries) {
    return failure(conflict("constraint-failure", "too many entries (at most " +
                                                      std::to_string(limits.max_entries) + ")"));
  }
  roaming::ContactList next = current != nullptr ? *current : roaming::ContactList();
  auto deltas = applyDocument(next, *next_doc, limits.contacts);
  if (!deltas) {
    return failure(deltas.error());
  }
  XcapOutcome out;
  out.status = created && method == "PUT" ? 201 : 200;
  out.etag = documentEtag(next);
  out.deltas = std::move(*deltas);
  if (current == nullptr || !out.deltas.empty()) {
    out.next = std::move(next);
  }
  return out;
}

}  // namespace core::presence::xcap
