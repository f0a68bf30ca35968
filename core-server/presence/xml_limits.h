// SPDX-License-Identifier: Apache-2.0
// Bounds applied to every XML body we parse (PIDF, msrtc categories, batchSub...).
// They come from the limits section of the configuration; the defaults suit
// presence documents, which are a few kilobytes. A document over any bound is
// rejected with a 400 whose reason names the bound.
#pragma once

#include <cstddef>
#include <cstdint>

namespace core::presence {

struct XmlLimits {
  size_t max_bytes = 64 * 1024;  // whole body
  // Element nesting; the root is depth 1. It also bounds the recursion of the
  // fragment writer, so keep it small.
  uint32_t max_depth = 32;
  uint32_t max_elements = 4096;  // elements in the document
  uint32_t max_attributes = 64;  // attributes on one element (xmlns ones included)
};

}  // namespace core::presence
