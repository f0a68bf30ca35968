// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/stages/location_stage.h"

#include "core-server/registrar/register_request.h"
#include "proxy/routing/shard_router.h"

namespace core::registrar {

using proxy::routing::Verdict;

Verdict LocationStage::onRequest(proxy::routing::ContextPtr& ctx) {
  if (!ctx->targets.empty()) {
    return Verdict::Continue;  // already routed (e.g. an in-dialog request through us)
  }
  auto uri = proxy::sip::Uri::parse(ctx->request.requestUri());
  if (!uri || !uri->isSip() || !ctx->router.us().isLocalDomain(uri->host())) {
    return Verdict::Continue;  // not ours to resolve
  }
  if (uri->user().empty()) {
    ctx->router.reply(*ctx, 404, "Not Found");
    return Verdict::Done;
  }
  const std::string aor = canonicalAor(*uri);
  for (const Binding* binding : location_.lookup(aor)) {
    ctx->targets.push_back(proxy::routing::Target{binding->contact, binding->flow});
  }
  if (!ctx->targets.empty()) {
    return Verdict::Continue;
  }
  bool known = users_.lookup(aor, realm_, uri->host()) != nullptr;
  ctx->router.reply(*ctx, known ? 480 : 404, known ? "Temporarily Unavailable" : "Not Found");
  return Verdict::Done;
}

}  // namespace core::registrar
