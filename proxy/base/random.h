// SPDX-License-Identifier: Apache-2.0
// Unpredictable tokens (tags, branches, nonces) from OpenSSL's CSPRNG.
#pragma once

#include <cstdint>
#include <string>

namespace proxy {

// Returns `length` characters from [0-9a-z], unpredictable to peers.
std::string randomToken(size_t length);

// A uniformly random 64-bit value from the CSPRNG.
uint64_t random64();

}  // namespace proxy
