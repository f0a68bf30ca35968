// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/stages/ms_presence_stage.h"

#include "core-server/presence/ms_batch_subscribe.h"
#include "core-server/presence/stages/presence_stage.h"
#include "core-server/registrar/register_request.h"
#include "proxy/base/strings.h"
#include "proxy/routing/overload.h"

namespace core::presence {

using proxy::routing::Verdict;
using proxy::sip::HeaderName;
using proxy::sip::Method;

bool isMsSelfEvent(std::string_view package) {
  return package == "vnd-microsoft-roaming-contacts" || package == "vnd-microsoft-roaming-self" ||
         package == "vnd-microsoft-provisioning-v2" || package == "presence.wpending";
}

Verdict MsPresenceStage::onRequest(proxy::routing::ContextPtr& ctx) {
  const Method method = ctx->request.method();
  const bool presence_work =
      method == Method::Subscribe || method == Method::Service || method == Method::Publish;
  // New presence work needs durable writes and NOTIFYs: refused while either is backed up
  // (this is the first presence stage). Refreshes of what was accepted go on.
  if (presence_work && !ctx->inDialog() && proxy::routing::overload::rejectIfOverloaded(*ctx)) {
    return Verdict::Done;
  }
  if (method != Method::Subscribe && method != Method::Service) {
    return Verdict::Continue;
  }
  if (ctx->inDialog()) {
    if (method != Method::Subscribe || !ctx->targets.empty()) {
      return Verdict::Continue;
    }
    return ms_.onInDialogSubscribe(*ctx) ? Verdict::Done : Verdict::Continue;
  }
  auto uri = proxy::sip::Uri::parse(ctx->request.requestUri());
  if (!uri || !uri->isSip() || uri->user().empty() ||
      !ctx->router.us().isLocalDomain(uri->host())) {
    return Verdict::Continue;
  }
  const std::string aor = registrar::canonicalAor(*uri);
  if (requesterAor(*ctx) != aor || users_.lookup(aor, realm_, uri->host()) == nullptr) {
    return Verdict::Continue;  // not a client talking to its own URI
  }
  if (method == Method::Service) {
    ms_.onService(*ctx, aor);
    return Verdict::Done;
  }
  const EventHeader event = parseEvent(ctx->request.header(HeaderName::Event));
  if (isMsSelfEvent(event.package)) {
    ms_.onSelfSubscribe(*ctx, aor, uri->user(), event.package);
    return Verdict::Done;
  }
  if (event.package == "presence" &&
      proxy::toLower(mediaType(ctx->request.header(HeaderName::ContentType))) ==
          kBatchSubscribeContentType) {
    return ms_.onBatchSubscribe(ctx, aor, uri->user());
  }
  return Verdict::Continue;
}

}  // namespace core::presence
