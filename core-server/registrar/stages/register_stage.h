// SPDX-License-Identifier: Apache-2.0
// Hands REGISTER requests to this shard's Registrar (the router already sent
// each REGISTER to the shard owning its To AOR) and answers through the
// server transaction when the registrar replies, which may be after a commit.
#pragma once

#include "core-server/registrar/registrar.h"
#include "proxy/routing/stage.h"

namespace core::registrar {

class RegisterStage final : public proxy::routing::Stage {
 public:
  explicit RegisterStage(Registrar& registrar) : registrar_(registrar) {}
  std::string_view name() const override { return "register: RFC 3261 §10.3 registrar"; }
  proxy::routing::Verdict onRequest(proxy::routing::ContextPtr& ctx) override;

 private:
  Registrar& registrar_;
};

// The router's stateless responder (ShardRouter::setStatelessResponder): sends
// Registrar::statelessChallenge()'s 401 on the arrival shard when there is one.
bool answerStatelessChallenge(Registrar& registrar, proxy::routing::ShardRouter& router,
                              const proxy::sip::SipMessage& request,
                              const proxy::transport::Flow& flow);

// The status code of a serialized response ("SIP/2.0 200 OK..."), 0 if unreadable.
int statusOf(std::string_view response);

}  // namespace core::registrar
