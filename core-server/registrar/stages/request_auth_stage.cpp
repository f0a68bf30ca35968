// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/stages/request_auth_stage.h"

#include <variant>

#include "proxy/base/counters.h"
#include "proxy/routing/shard_router.h"

namespace core::registrar {

using proxy::routing::Verdict;
using proxy::sip::Method;

Verdict RequestAuthStage::onRequest(proxy::routing::ContextPtr& ctx) {
  Method method = ctx->request.method();
  // In-dialog requests were vetted by the loose-route stage (signed route, participant).
  // A non-empty authenticated_aor: an earlier stage (NTLM) verified the sender.
  if (method == Method::Ack || method == Method::Cancel || ctx->inDialog() ||
      !ctx->authenticated_aor.empty() || auth_.trusted(ctx->flow.remote)) {
    return Verdict::Continue;
  }
  const auto& from = ctx->request.from();
  if (!from || !from->uri().isSip()) {
    ctx->router.reply(*ctx, 400, "Bad From");
    return Verdict::Done;
  }
  if (!ctx->router.us().isLocalDomain(from->uri().host())) {
    static auto foreign = proxy::counters::get("auth.rejected.foreign_sender");
    foreign.add();
    ctx->router.reply(*ctx, 403, "Sender Domain Not Served");
    return Verdict::Done;
  }
  if (!challenge_requests_) {
    return Verdict::Continue;
  }
  AuthOutcome outcome = auth_.check(ctx->request, /*proxy=*/true, from->uri().aor());
  if (auto* ok = std::get_if<Authenticated>(&outcome)) {
    ctx->authenticated_aor = ok->aor;
    // Our credentials end here; other realms' would be passed on (RFC 3261 §22.3).
    ctx->request.removeAll(proxy::sip::HeaderName::ProxyAuthorization);
    return Verdict::Continue;
  }
  if (auto* no = std::get_if<Forbidden>(&outcome)) {
    ctx->router.reply(*ctx, 403, no->reason);
    return Verdict::Done;
  }
  proxy::routing::HeaderList headers;
  for (std::string& challenge :
       auth_.challengeHeaders(std::get<Challenge>(outcome).stale, ctx->request)) {
    headers.emplace_back("Proxy-Authenticate", std::move(challenge));
  }
  ctx->router.reply(*ctx, 407, "Proxy Authentication Required", headers);
  return Verdict::Done;
}

}  // namespace core::registrar
