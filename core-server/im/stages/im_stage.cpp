// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/stages/im_stage.h"

#include "core-server/im/im_formats.h"
#include "core-server/registrar/register_request.h"
#include "proxy/base/counters.h"
#include "proxy/base/strings.h"

namespace core::im {

using proxy::routing::Verdict;
using proxy::sip::Method;

Verdict ImStage::onRequest(proxy::routing::ContextPtr& ctx) {
  if (!ctx->targets.empty()) {
    return Verdict::Continue;  // routed already (a dialog we only record-route)
  }
  const Method method = ctx->request.method();
  auto uri = proxy::sip::Uri::parse(ctx->request.requestUri());
  if (!uri || !uri->isSip()) {
    return Verdict::Continue;
  }
  if (uri->user() == kBridgeUser && ctx->router.us().isUs(*uri)) {
    if (ctx->inDialog()) {
      return service_.bridge().onInDialog(ctx);
    }
    static auto nowhere = proxy::counters::get("im.bridge.out_of_dialog");
    nowhere.add();
    ctx->router.reply(*ctx, method == Method::Invite ? 404 : 481,
                      method == Method::Invite ? "Not Found" : "Call/Transaction Does Not Exist");
    return Verdict::Done;
  }
  if (uri->user() == kMeshUser && ctx->router.us().isUs(*uri)) {
    if (ctx->inDialog()) {
      return service_.onMeshRequest(ctx);
    }
    ctx->router.reply(*ctx, method == Method::Invite ? 404 : 481,
                      method == Method::Invite ? "Not Found" : "Call/Transaction Does Not Exist");
    return Verdict::Done;
  }
  if ((method != Method::Message && method != Method::Invite && method != Method::Refer) ||
      ctx->inDialog() || uri->user().empty() || !ctx->router.us().isLocalDomain(uri->host())) {
    return Verdict::Continue;
  }
  const std::string aor = registrar::canonicalAor(*uri);
  if (isFocusAor(aor)) {
    return service_.onFocus(ctx, aor);
  }
  if (users_.lookup(aor, realm_, uri->host()) == nullptr) {
    return Verdict::Continue;  // the location stage answers 404
  }
  if (method == Method::Message) {
    return service_.onPage(ctx, aor);
  }
  if (method == Method::Refer) {
    return Verdict::Continue;
  }
  const std::string_view sdp = ctx->request.body();
  if (auto mesh_shard = meshShardOf(ctx->request.callId());
      mesh_shard && proxy::toLower(ctx->request.header("TriggeredInvite")) == "true") {
    return service_.onTriggeredInvite(ctx, aor, *mesh_shard);  // a member of our mesh
  }
  if (offersImSession(sdp)) {
    return service_.onSessionInvite(ctx, aor);
  }
  if (sdp.find(" sip null") != std::string_view::npos ||
      sdp.find("m=x-ms-message") != std::string_view::npos) {
    static auto malformed = proxy::counters::get("im.bridge.malformed_sdp");
    malformed.add();
    ctx->router.reply(*ctx, 488, "Malformed IM Session SDP");
    return Verdict::Done;
  }
  return Verdict::Continue;  // calls and other sessions: the plain relay
}

}  // namespace core::im
