// SPDX-License-Identifier: Apache-2.0
// NTLM for OCS/Lync-dialect clients ([MS-SIPAE]), which cannot do digest.
// REGISTER: a client of that dialect without credentials is offered NTLM (401);
// its empty gssapi-data gets the CHALLENGE (401); its AUTHENTICATE logs it on,
// binds the security association to its connection on every shard (so whatever
// we send it is signed) and lets the registrar go on without digest. Any other
// request signed within an SA is verified here and its sender taken as
// authenticated (the proxy-auth stage then stands aside). Runs before the
// register stage.
#pragma once

#include <functional>
#include <string>

#include "core-server/registrar/authenticator.h"
#include "core-server/registrar/ntlm/ntlm_flow_signer.h"
#include "core-server/registrar/ntlm/ntlm_security.h"
#include "core-server/registrar/user_directory.h"
#include "proxy/routing/stage.h"

namespace core::registrar {

struct NtlmStageOptions {
  bool challenge_register = true;  // as auth.challenge_register: off = nobody is challenged
  // Binds (opaque non-empty) or unbinds a connection's SA on every shard; the
  // caller's own shard synchronously, before the REGISTER's 200 is sent.
  std::function<void(const proxy::transport::Flow&, std::string opaque)> bind_everywhere;
};

class NtlmStage final : public proxy::routing::Stage {
 public:
  NtlmStage(ntlm::NtlmSecurity& security, ntlm::NtlmFlowSigner& signer, const UserDirectory& users,
            const Authenticator& auth, NtlmStageOptions options)
      : security_(security),
        signer_(signer),
        users_(users),
        auth_(auth),
        options_(std::move(options)) {}

  std::string_view name() const override { return "ntlm: [MS-SIPAE] logon and signatures"; }
  proxy::routing::Verdict onRequest(proxy::routing::ContextPtr& ctx) override;

 private:
  proxy::routing::Verdict onRegister(proxy::routing::ContextPtr& ctx);
  void challenge(proxy::routing::RequestContext& ctx, const std::string& www_authenticate);

  ntlm::NtlmSecurity& security_;
  ntlm::NtlmFlowSigner& signer_;
  const UserDirectory& users_;
  const Authenticator& auth_;
  NtlmStageOptions options_;
};

}  // namespace core::registrar
