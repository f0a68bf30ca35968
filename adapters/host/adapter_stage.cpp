// SPDX-License-Identifier: Apache-2.0
#include "adapters/host/adapter_stage.h"

#include <chrono>

#include "core-server/im/im_formats.h"
#include "core-server/registrar/register_request.h"
#include "proxy/base/counters.h"
#include "proxy/routing/shard_router.h"

namespace adapters {

using proxy::routing::Verdict;
using proxy::sip::HeaderName;
using proxy::sip::Method;

AdapterStage::AdapterStage(AdapterHost& host, core::im::ImService* im, unsigned shard,
                           uint32_t max_body_bytes)
    : host_(host), im_(im), shard_(shard), max_body_bytes_(max_body_bytes) {
  host_.attachSink(shard_, this);
}

AdapterStage::~AdapterStage() { host_.attachSink(shard_, nullptr); }

Verdict AdapterStage::onRequest(proxy::routing::ContextPtr& ctx) {
  const Method method = ctx->request.method();
  if ((method != Method::Message && method != Method::Invite) || !ctx->targets.empty() ||
      ctx->inDialog()) {
    return Verdict::Continue;
  }
  auto uri = proxy::sip::Uri::parse(ctx->request.requestUri());
  if (!uri || !uri->isSip() || uri->user().empty() ||
      !ctx->router.us().isLocalDomain(uri->host())) {
    return Verdict::Continue;
  }
  const std::string aor = core::registrar::canonicalAor(*uri);
  if (host_.pluginFor(aor) == nullptr) {
    return Verdict::Continue;
  }
  if (method == Method::Invite) {
    if (im_ != nullptr && core::im::offersImSession(ctx->request.body())) {
      return im_->onSessionInvite(ctx, aor);  // bridged: its texts come to the plugin
    }
    static auto sessions = proxy::counters::get("adapter.sessions_refused");
    sessions.add();
    ctx->router.reply(*ctx, 488, "Page-Mode Messages Only");
    return Verdict::Done;
  }
  if (ctx->request.body().size() > max_body_bytes_) {
    ctx->router.reply(*ctx, 413, "Message Too Large");
    return Verdict::Done;
  }
  MessageEvent message;
  message.from = ctx->senderAor();
  message.to = aor;
  message.content_type = std::string(ctx->request.header(HeaderName::ContentType));
  message.body = std::string(ctx->request.body());
  message.sent_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  if (const int status = host_.offerMessage(shard_, message); status != 0) {
    ctx->router.reply(*ctx, status, status == 503 ? "Adapter Unavailable" : "");
    return Verdict::Done;
  }
  waiting_.emplace(message.id, std::move(ctx));
  return Verdict::Pause;
}

void AdapterStage::answered(uint64_t id, int status) {
  auto it = waiting_.find(id);
  if (it == waiting_.end()) {
    return;
  }
  proxy::routing::ContextPtr ctx = std::move(it->second);
  waiting_.erase(it);
  ctx->router.reply(*ctx, status,
                    status == 408 ? "Adapter Timeout"
                                  : (status == 503 ? "Adapter Unavailable" : std::string_view()));
}

}  // namespace adapters
