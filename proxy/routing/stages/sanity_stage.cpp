// SPDX-License-Identifier: Apache-2.0
#include "proxy/routing/stages/sanity_stage.h"

#include <span>
#include <string>

#include "proxy/base/strings.h"
#include "proxy/routing/shard_router.h"

namespace proxy::routing {
namespace {

// Proxy-Require tags we honour as a proxy. ms-benotify ([MS-SIPRE]): we relay
// BENOTIFY, which gets no response, without a client transaction waiting for one.
constexpr std::string_view kProxyTags[] = {"ms-benotify"};

bool listed(std::span<const std::string_view> tags, std::string_view tag) {
  for (std::string_view known : tags) {
    if (iequals(known, tag)) {
      return true;
    }
  }
  return false;
}

// The comma-separated option tags of all `name` headers not in `supported`.
std::string unsupportedIn(const sip::SipMessage& request, sip::HeaderName name,
                          std::span<const std::string_view> supported) {
  std::string out;
  for (std::string_view value : request.headers(name)) {
    appendListItems(out, value, [&](std::string_view tag) { return !listed(supported, tag); });
  }
  return out;
}

bool reject420(RequestContext& ctx, sip::HeaderName name,
               std::span<const std::string_view> supported) {
  if (ctx.request.method() == sip::Method::Cancel || ctx.request.method() == sip::Method::Ack) {
    return false;  // RFC 3261 §8.2.2.3
  }
  std::string tags = unsupportedIn(ctx.request, name, supported);
  if (tags.empty()) {
    return false;
  }
  ctx.router.reply(ctx, 420, "Bad Extension", {{"Unsupported", tags}});
  return true;
}

}  // namespace

// Requests this server answers itself rather than forwards: a REGISTER, or
// anything addressed to the server (no user part).
bool terminatesHere(const RequestContext& ctx) {
  if (ctx.request.method() == sip::Method::Register) {
    return true;
  }
  auto uri = sip::Uri::parse(ctx.request.requestUri());
  return uri && uri->isSip() && uri->user().empty() && ctx.router.us().isUs(*uri);
}

Verdict SanityStage::onRequest(ContextPtr& ctx) {
  // RFC 3261 §16.3 step 3: a request that cannot travel further is refused
  // before any other policy runs; one for us is processed normally (RFC 4475 zeromf).
  if (ctx->request.maxForwards() == 0u && !terminatesHere(*ctx)) {
    ctx->router.reply(*ctx, 483, "Too Many Hops");
    return Verdict::Done;
  }
  return reject420(*ctx, sip::HeaderName::ProxyRequire, kProxyTags) ? Verdict::Done
                                                                    : Verdict::Continue;
}

bool rejectUnsupportedRequire(RequestContext& ctx, std::span<const std::string_view> supported) {
  return reject420(ctx, sip::HeaderName::Require, supported);
}

}  // namespace proxy::routing
