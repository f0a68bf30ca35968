// SPDX-License-Identifier: Apache-2.0
// Digest HA1 hashing for the config and confabctl (RFC 7616 §3.4.2):
// H(username ":" realm ":" password). Passwords exist only while a user is
// being added (YAML `password:` or confabctl); everything downstream keeps the
// HA1s alone. The arithmetic is proxy/sip/digest.h's, so the server, the
// config and confabctl always agree.
#pragma once

#include <optional>
#include <string_view>

#include "proxy/sip/digest.h"

namespace proxy::config {

using sip::algorithmName;
using sip::computeHa1;
using sip::DigestAlgorithm;

// Strict for configuration: "SHA-256" or "MD5" (any case); unlike the wire
// parser, an empty name is not MD5 here.
std::optional<DigestAlgorithm> parseAlgorithm(std::string_view name);

}  // namespace proxy::config
