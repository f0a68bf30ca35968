// SPDX-License-Identifier: Apache-2.0
// One shard's list of the connections that carry an NTLM security association,
// and the router's outbound filter that signs everything sent on them
// ([MS-SIPAE]: once logged on, the client drops unsigned messages). Each shard
// keeps its own list, changed only on its own thread (bind() on the logon shard,
// posted to the others), so the check every outgoing message makes is lock-free;
// only messages to NTLM clients reach the shared NtlmSecurity.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "core-server/registrar/ntlm/ntlm_security.h"
#include "proxy/transport/transport.h"

namespace core::registrar::ntlm {

class NtlmFlowSigner {
 public:
  explicit NtlmFlowSigner(NtlmSecurity& security) : security_(security) {}

  void bind(const proxy::transport::Flow& flow, std::string opaque);
  void unbind(const proxy::transport::Flow& flow);
  // The security association of the connection `flow` arrived on, "" if none.
  std::string_view opaqueOf(const proxy::transport::Flow& flow) const;

  // Adds `Authentication-Info` to `bytes` (one serialized SIP message) when
  // `flow` is bound; a message that does not parse goes out unchanged.
  void filter(const proxy::transport::Flow& flow, std::string& bytes);

  size_t size() const { return flows_.size(); }

 private:
  using Key = std::pair<unsigned, uint64_t>;  // owner shard, connection id
  static std::optional<Key> keyOf(const proxy::transport::Flow& flow);

  NtlmSecurity& security_;
  std::map<Key, std::string> flows_;  // -> opaque
};

}  // namespace core::registrar::ntlm
