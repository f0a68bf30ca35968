// SPDX-License-Identifier: Apache-2.0
#include "proxy/transaction/branch.h"

#include "proxy/base/random.h"
#include "proxy/base/strings.h"

namespace proxy::transaction {
namespace {
constexpr size_t kRandomLength = 16;  // 36^16 ≈ 2^82: unique per RFC 3261 §8.1.1.7
}

bool isRfc3261Branch(std::string_view branch) {
  return branch.size() > kMagicCookie.size() && branch.starts_with(kMagicCookie);
}

std::string makeBranch(unsigned shard) {
  std::string branch(kMagicCookie);
  branch += '-';
  branch += std::to_string(shard);
  branch += '-';
  branch += randomToken(kRandomLength);
  return branch;
}

std::optional<unsigned> shardOfBranch(std::string_view branch) {
  if (!branch.starts_with(kMagicCookie)) {
    return std::nullopt;
  }
  branch.remove_prefix(kMagicCookie.size());
  if (!branch.starts_with('-')) {
    return std::nullopt;
  }
  branch.remove_prefix(1);
  const size_t dash = branch.find('-');
  if (dash == std::string_view::npos || dash + 1 == branch.size()) {
    return std::nullopt;  // no random part: not one of ours
  }
  return parseUnsigned<unsigned>(branch.substr(0, dash));
}

}  // namespace proxy::transaction
