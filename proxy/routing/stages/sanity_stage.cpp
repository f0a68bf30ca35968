// SPDX-License-Identifier: Apache-2.0
#include "proxy/routing/stages/sanity_stage.h"

#include <string>

#include "proxy/base/strings.h"
#include "proxy/routing/shard_router.h"

namespace proxy::routing {
namespace {

// Option tags we implement. Empty for now: every Require/Proxy-Require tag is unknown.
bool supported(std::string_view) { return false; }

// The comma-separated option tags of all `name` headers not in our list.
std::string unsupportedIn(const sip::SipMessage& request, sip::HeaderName name) {
  std::string out;
  for (std::string_view value : request.headers(name)) {
    size_t start = 0;
    while (start <= value.size()) {
      size_t comma = value.find(',', start);
      std::string_view tag = trim(value.substr(start, comma - start));
      if (!tag.empty() && !supported(tag)) {
        out += out.empty() ? "" : ", ";
        out += tag;
      }
      if (comma == std::string_view::npos) {
        break;
      }
      start = comma + 1;
    }
  }
  return out;
}

bool reject420(RequestContext& ctx, sip::HeaderName name) {
  if (ctx.request.method() == sip::Method::Cancel || ctx.request.method() == sip::Method::Ack) {
    return false;  // RFC 3261 §8.2.2.3
  }
  std::string tags = unsupportedIn(ctx.request, name);
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
  return reject420(*ctx, sip::HeaderName::ProxyRequire) ? Verdict::Done : Verdict::Continue;
}

bool rejectUnsupportedRequire(RequestContext& ctx) {
  return reject420(ctx, sip::HeaderName::Require);
}

}  // namespace proxy::routing
