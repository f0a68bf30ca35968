// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/stages/conference_subscribe_stage.h"

#include "core-server/im/conference_subscriptions.h"
#include "core-server/registrar/register_request.h"
#include "proxy/base/clock.h"
#include "proxy/base/counters.h"
#include "proxy/base/strings.h"
#include "proxy/routing/subscription_responses.h"

namespace core::im {

using proxy::routing::RequestContext;
using proxy::routing::Verdict;
using proxy::sip::HeaderName;
using proxy::sip::Method;

namespace {

std::string_view firstToken(std::string_view value) {
  const size_t semi = value.find(';');
  return proxy::trim(semi == std::string_view::npos ? value : value.substr(0, semi));
}

// The Event header's ;id= parameter ("" if none).
std::string eventId(std::string_view value) {
  size_t at = proxy::toLower(value).find(";id=");
  if (at == std::string_view::npos) {
    return {};
  }
  value.remove_prefix(at + 4);
  return std::string(proxy::trim(value.substr(0, value.find(';'))));
}

bool isConferenceEvent(const proxy::sip::SipMessage& request) {
  return proxy::toLower(firstToken(request.header(HeaderName::Event))) == kConferenceEvent;
}

// RFC 4575 §3.3: conference-info is the default; other Accept lists must name it.
bool acceptsConferenceInfo(const proxy::sip::SipMessage& request) {
  std::vector<std::string_view> accepted = request.tokens(HeaderName::Accept);
  if (accepted.empty()) {
    return true;
  }
  for (std::string_view token : accepted) {
    const std::string type = proxy::toLower(firstToken(token));
    if (type == kConferenceInfoType || type == "*/*" || type == "application/*") {
      return true;
    }
  }
  return false;
}

std::string watcherAor(const RequestContext& ctx) {
  if (!ctx.authenticated_aor.empty()) {
    return ctx.authenticated_aor;
  }
  auto from = ctx.request.from();
  return from && from->uri().isSip() ? registrar::canonicalAor(from->uri()) : std::string();
}

void replyBadEvent(RequestContext& ctx) {
  ctx.router.reply(ctx, 489, "Bad Event", {{"Allow-Events", std::string(kConferenceEvent)}});
}

}  // namespace

Verdict ConferenceSubscribeStage::onRequest(proxy::routing::ContextPtr& ctx) {
  if (ctx->request.method() != Method::Subscribe || !ctx->targets.empty()) {
    return Verdict::Continue;
  }
  auto uri = proxy::sip::Uri::parse(ctx->request.requestUri());
  if (!uri || !uri->isSip() || !uri->user().starts_with(kFocusPrefix)) {
    return Verdict::Continue;
  }
  if (ctx->inDialog()) {
    return ctx->router.us().isUs(*uri) ? onRefresh(*ctx) : Verdict::Continue;
  }
  if (!ctx->router.us().isLocalDomain(uri->host())) {
    return Verdict::Continue;
  }
  const std::string aor = registrar::canonicalAor(*uri);
  return isFocusAor(aor) ? onSubscribe(*ctx, aor) : Verdict::Continue;
}

Verdict ConferenceSubscribeStage::onSubscribe(RequestContext& ctx, const std::string& focus_aor) {
  const proxy::sip::SipMessage& request = ctx.request;
  if (!isConferenceEvent(request)) {
    replyBadEvent(ctx);
    return Verdict::Done;
  }
  if (!acceptsConferenceInfo(request)) {
    ctx.router.reply(ctx, 406, "Not Acceptable", {{"Accept", std::string(kConferenceInfoType)}});
    return Verdict::Done;
  }
  auto dialog = proxy::routing::subscriberDialogOf(ctx);
  if (!dialog) {
    return Verdict::Done;  // answered 400
  }
  ConferenceSubscription s;
  s.focus_aor = focus_aor;
  s.watcher_aor = watcherAor(ctx);
  s.event_id = eventId(request.header(HeaderName::Event));
  std::move(*dialog).moveInto(s.dialog);
  // Our Contact: the focus id as user.
  s.dialog.local_contact =
      proxy::routing::notifierContact(std::string_view(focus_aor).substr(0, focus_aor.find('@')),
                                      ctx.flow, ctx.router.us(), ctx.router.shardId());
  accept(ctx, service_.focus().subscribe(std::move(s), request.expires(),
                                         proxy::SystemClock::instance().monotonicMs()));
  return Verdict::Done;
}

Verdict ConferenceSubscribeStage::onRefresh(RequestContext& ctx) {
  const proxy::sip::SipMessage& request = ctx.request;
  auto ids = proxy::routing::inDialogIdsOf(ctx);
  if (!ids) {
    return Verdict::Done;  // answered 400
  }
  const ConferenceSubscription* s =
      service_.focus().subscriptions().findDialog(ids->call_id, ids->local_tag, ids->remote_tag);
  if (s == nullptr) {
    static auto unknown = proxy::counters::get("im.focus.subscribe_unknown_dialog");
    unknown.add();
    ctx.router.reply(ctx, 481, "Subscription Does Not Exist");
    return Verdict::Done;
  }
  if (!isConferenceEvent(request)) {
    replyBadEvent(ctx);
    return Verdict::Done;
  }
  if (proxy::routing::rejectedBadExpires(ctx)) {
    return Verdict::Done;
  }
  accept(ctx, service_.focus().refresh(s->id, request.expires(), ids->cseq,
                                       proxy::SystemClock::instance().monotonicMs()));
  return Verdict::Done;
}

void ConferenceSubscribeStage::accept(RequestContext& ctx, const Focus::SubscribeResult& result) {
  if (result.status >= 300) {
    // A 423's Min-Expires comes in result.expires.
    proxy::routing::replySubscribeRefused(
        ctx, result.status, result.status == 403 ? "Participants Only" : "", result.expires);
    return;
  }
  const ConferenceSubscription* s = service_.focus().subscriptions().find(result.id);
  proxy::routing::replySubscribeAccepted(ctx, 200, "OK", s->dialog.local_tag, result.expires,
                                         s->dialog.local_contact);
  service_.focus().notifyAfterSubscribe(result.id, proxy::SystemClock::instance().monotonicMs());
}

Focus::NotifySender conferenceNotifySender(proxy::routing::ShardRouter& router) {
  return [&router](std::string text, std::string flow_token, StatusCallback done) {
    static auto unroutable = proxy::counters::get("im.focus.notify_unroutable");
    auto request = proxy::sip::SipMessage::parse(text, router.config().parse_limits);
    if (!request) {
      unroutable.add();
      done(503);
      return;
    }
    router.sendOriginated(std::move(*request), proxy::transport::Flow::fromToken(flow_token),
                          [done = std::move(done)](proxy::sip::SipMessage&& response, bool final) {
                            if (final) {
                              done(response.statusCode());
                            }
                          });
  };
}

}  // namespace core::im
