// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/ntlm/ntlm_flow_signer.h"

#include "proxy/base/counters.h"

namespace core::registrar::ntlm {

std::optional<NtlmFlowSigner::Key> NtlmFlowSigner::keyOf(const proxy::transport::Flow& flow) {
  if (flow.connection_id == 0) {
    return std::nullopt;  // NTLM SAs need a connection: UDP is not signed
  }
  return Key{flow.shard, flow.connection_id};
}

void NtlmFlowSigner::bind(const proxy::transport::Flow& flow, std::string opaque) {
  if (auto key = keyOf(flow)) {
    flows_[*key] = std::move(opaque);
  }
}

void NtlmFlowSigner::unbind(const proxy::transport::Flow& flow) {
  if (auto key = keyOf(flow)) {
    flows_.erase(*key);
  }
}

std::string_view NtlmFlowSigner::opaqueOf(const proxy::transport::Flow& flow) const {
  auto key = keyOf(flow);
  if (!key) {
    return {};
  }
  auto it = flows_.find(*key);
  return it == flows_.end() ? std::string_view{} : std::string_view(it->second);
}

void NtlmFlowSigner::filter(const proxy::transport::Flow& flow, std::string& bytes) {
  if (flows_.empty()) {
    return;  // the common case: no NTLM client on this server
  }
  auto key = keyOf(flow);
  auto it = key ? flows_.find(*key) : flows_.end();
  if (it == flows_.end()) {
    return;
  }
  auto message = proxy::sip::SipMessage::parse(bytes);
  if (!message) {
    return;
  }
  auto header = security_.sign(it->second, *message);
  if (!header) {
    static auto gone = proxy::counters::get("ntlm.unsigned.sa_gone");
    gone.add();
    flows_.erase(it);  // the SA expired: the client must log on again
    return;
  }
  // After the start line: where it goes does not matter to the signature.
  size_t line_end = bytes.find("\r\n");
  if (line_end == std::string::npos) {
    return;
  }
  bytes.insert(line_end + 2, "Authentication-Info: " + *header + "\r\n");
}

}  // namespace core::registrar::ntlm
