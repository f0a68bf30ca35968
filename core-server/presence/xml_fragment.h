// SPDX-License-Identifier: Apache-2.0
// Writes a parsed element and its subtree back as a self-contained XML fragment:
// the element keeps its prefixes and its own xmlns declarations, and every
// namespace it or a descendant uses that was declared higher up is declared on
// the fragment's root. The fragment can then be embedded in any other document
// (a PIDF we render, a categories NOTIFY) without changing meaning. Comments and
// processing instructions are not kept.
#pragma once

#include <string>

#include "core-server/presence/xml_tree.h"

namespace core::presence {

std::string serializeFragment(const XmlElement& element);

// The element children of `parent`, each as serializeFragment() writes it, concatenated.
std::string serializeChildren(const XmlElement& parent);

}  // namespace core::presence
