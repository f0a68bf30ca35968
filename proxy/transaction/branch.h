// SPDX-License-Identifier: Apache-2.0
// Via branch parameters (RFC 3261 §8.1.1.7): recognising RFC 3261 branches and
// minting our own. Our branches carry the shard that owns the client transaction,
// "z9hG4bK-<shard>-<random>", so a response that lands on another shard's socket
// can be posted to the right shard without a shared table. Pure functions; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace proxy::transaction {

inline constexpr std::string_view kMagicCookie = "z9hG4bK";

// True when `branch` starts with the magic cookie and has something after it.
// The bare cookie is not unique (RFC 4475 §3.2.1 badbranch), so it falls back
// to RFC 2543 matching.
bool isRfc3261Branch(std::string_view branch);

// A fresh branch for a request sent by `shard`: "z9hG4bK-<shard>-<16 random chars>".
std::string makeBranch(unsigned shard);

// The shard encoded by makeBranch(), or nullopt for branches we did not mint.
std::optional<unsigned> shardOfBranch(std::string_view branch);

}  // namespace proxy::transaction
