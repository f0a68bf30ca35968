// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/stages/register_stage.h"

#include "proxy/base/strings.h"
#include "proxy/routing/overload.h"
#include "proxy/routing/shard_router.h"
#include "proxy/routing/stages/sanity_stage.h"

namespace core::registrar {

using proxy::routing::Verdict;

int statusOf(std::string_view response) {
  if (response.size() < 12 || response.substr(0, 8) != "SIP/2.0 ") {
    return 0;
  }
  return static_cast<int>(proxy::parseUnsigned<unsigned>(response.substr(8, 3)).value_or(0));
}

bool answerStatelessChallenge(Registrar& registrar, proxy::routing::ShardRouter& router,
                              const proxy::sip::SipMessage& request,
                              const proxy::transport::Flow& flow) {
  auto challenge = registrar.statelessChallenge(request, flow);
  if (!challenge) {
    return false;
  }
  // Counted by the registrar (registrar.challenged), as its stateful replies are.
  router.sendRaw(flow, std::move(*challenge));
  return true;
}

Verdict RegisterStage::onRequest(proxy::routing::ContextPtr& ctx) {
  if (ctx->request.method() != proxy::sip::Method::Register) {
    return Verdict::Continue;
  }
  if (proxy::routing::rejectUnsupportedRequire(*ctx)) {  // §10.3 step 2
    return Verdict::Done;
  }
  if (proxy::routing::overload::rejectIfOverloaded(*ctx)) {  // a binding write would queue
    return Verdict::Done;
  }
  proxy::routing::ShardRouter* router = &ctx->router;
  proxy::transaction::ServerTransactionId txn = ctx->txn;
  // The registrar may answer after a store commit: the reply finds the
  // transaction by id, and does nothing if it has gone meanwhile.
  auto reply = [router, txn](std::string response) {
    int status = statusOf(response);
    router->transactions().respond(txn, status, std::move(response));
  };
  if (ctx->authenticated_aor.empty()) {
    registrar_.handleRegister(std::move(ctx->request), ctx->flow, std::move(reply));
  } else {  // an earlier stage (NTLM) authenticated it for this AOR
    registrar_.handleAuthenticatedRegister(std::move(ctx->request), ctx->flow, std::move(reply));
  }
  return Verdict::Done;
}

}  // namespace core::registrar
