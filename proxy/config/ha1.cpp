// SPDX-License-Identifier: Apache-2.0
#include "proxy/config/ha1.h"

namespace proxy::config {

std::optional<DigestAlgorithm> parseAlgorithm(std::string_view name) {
  if (name.empty()) {
    return std::nullopt;
  }
  return sip::parseAlgorithm(name);
}

}  // namespace proxy::config
