// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/stages/ntlm_stage.h"

#include "core-server/registrar/ntlm/ntlm_sip.h"
#include "core-server/registrar/register_response.h"
#include "proxy/base/counters.h"
#include "proxy/base/strings.h"
#include "proxy/routing/shard_router.h"

namespace core::registrar {

using proxy::routing::Verdict;
using proxy::sip::HeaderName;
using proxy::sip::Method;

namespace {

struct NtlmCounters {
  proxy::counters::Counter logons = proxy::counters::get("ntlm.logons");
  proxy::counters::Counter refused = proxy::counters::get("ntlm.refused");
  proxy::counters::Counter verified = proxy::counters::get("ntlm.verified_requests");
  proxy::counters::Counter bad_signatures = proxy::counters::get("ntlm.bad_signatures");
};
NtlmCounters& counters() {
  static NtlmCounters c;
  return c;
}

// The credentials a client put in Authorization, else in Proxy-Authorization.
std::optional<ntlm::NtlmCredentials> credentialsOf(const proxy::sip::SipMessage& request) {
  auto credentials = ntlm::findNtlmCredentials(request, /*proxy=*/false);
  return credentials ? credentials : ntlm::findNtlmCredentials(request, /*proxy=*/true);
}

}  // namespace

void NtlmStage::challenge(proxy::routing::RequestContext& ctx,
                          const std::string& www_authenticate) {
  ctx.router.reply(ctx, 401, "Unauthorized", {{"WWW-Authenticate", www_authenticate}});
}

Verdict NtlmStage::onRequest(proxy::routing::ContextPtr& ctx) {
  const Method method = ctx->request.method();
  if (method == Method::Register) {
    return onRegister(ctx);
  }
  if (method == Method::Ack || method == Method::Cancel) {
    return Verdict::Continue;
  }
  auto credentials = credentialsOf(ctx->request);
  if (!credentials || !credentials->signed_message()) {
    return Verdict::Continue;  // digest, trusted network or unsigned: later stages decide
  }
  auto who = security_.verify(ctx->request, *credentials);
  if (!who) {
    counters().bad_signatures.add();
    if (who.error().status == 401) {
      challenge(*ctx, security_.offer());  // SA gone: log on again
    } else {
      ctx->router.reply(*ctx, 403, who.error().detail);
    }
    return Verdict::Done;
  }
  // A signature proves the SA, not the From: the sender may only speak as itself.
  const auto& from = ctx->request.from();
  if (!from || proxy::toLower(from->uri().aor()) != *who) {
    counters().refused.add();
    ctx->router.reply(*ctx, 403, "From Does Not Match Credentials");
    return Verdict::Done;
  }
  counters().verified.add();
  ctx->authenticated_aor = std::move(*who);
  ctx->request.removeAll(HeaderName::ProxyAuthorization);  // ours: do not pass it on
  return Verdict::Continue;
}

Verdict NtlmStage::onRegister(proxy::routing::ContextPtr& ctx) {
  if (!options_.challenge_register || auth_.trusted(ctx->flow.remote) ||
      ctx->flow.connection_id == 0) {
    return Verdict::Continue;  // nobody is challenged, or NTLM cannot bind (UDP)
  }
  auto credentials = ntlm::findNtlmCredentials(ctx->request, /*proxy=*/false);
  if (!credentials) {
    // Digest credentials, or a standard client: the registrar's digest applies.
    if (!ctx->request.has(HeaderName::Authorization) && isMicrosoftClient(ctx->request)) {
      challenge(*ctx, security_.offer());
      return Verdict::Done;
    }
    return Verdict::Continue;
  }
  if (credentials->opaque.empty()) {
    // Step 2: empty gssapi-data (or a NEGOTIATE) asks for the CHALLENGE.
    auto header = security_.challenge(credentials->gssapi_data);
    if (!header) {
      ctx->router.reply(*ctx, 400, header.error().detail);
      return Verdict::Done;
    }
    challenge(*ctx, *header);
    return Verdict::Done;
  }
  const auto& to = ctx->request.to();
  if (!to || !to->uri().isSip()) {
    ctx->router.reply(*ctx, 400, "Bad To");
    return Verdict::Done;
  }
  const std::string aor = proxy::toLower(to->uri().aor());
  if (credentials->gssapi_data.empty()) {
    // A refresh or un-REGISTER within an established SA: signed like any request.
    auto who = credentials->signed_message()
                   ? security_.verify(ctx->request, *credentials)
                   : proxy::Result<std::string>(proxy::makeError(401, "Unsigned"));
    if (!who || *who != aor) {
      counters().bad_signatures.add();
      challenge(*ctx, security_.offer());
      return Verdict::Done;
    }
    ctx->authenticated_aor = aor;
    return Verdict::Continue;
  }
  auto opaque = security_.logon(ctx->request, *credentials, aor, users_);
  if (!opaque) {
    counters().refused.add();
    if (opaque.error().status == 401) {
      challenge(*ctx, security_.offer());
    } else {
      ctx->router.reply(*ctx, opaque.error().status, opaque.error().detail);
    }
    return Verdict::Done;
  }
  counters().logons.add();
  options_.bind_everywhere(ctx->flow, *opaque);
  ctx->authenticated_aor = aor;
  return Verdict::Continue;
}

}  // namespace core::registrar
