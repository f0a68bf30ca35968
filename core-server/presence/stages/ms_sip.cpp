// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/stages/ms_sip.h"

#include "core-server/presence/roaming/contact_list.h"
#include "core-server/presence/stages/presence_stage.h"
#include "core-server/registrar/register_request.h"
#include "proxy/base/random.h"
#include "proxy/base/strings.h"
#include "proxy/routing/shard_router.h"
#include "proxy/routing/subscription_responses.h"

namespace core::presence::ms_sip {

using proxy::routing::RequestContext;
using proxy::sip::HeaderName;

bool supports(const proxy::sip::SipMessage& request, std::string_view tag) {
  for (std::string_view option : request.tokens(HeaderName::Supported)) {
    if (proxy::iequals(option, tag)) {
      return true;
    }
  }
  return false;
}

std::string localAor(std::string_view uri_text, const proxy::routing::LocalAddresses& us) {
  std::string normalized = roaming::normalizeContactUri(uri_text);
  auto uri = proxy::sip::Uri::parse(normalized);
  if (!uri || !uri->isSip() || uri->user().empty() || !us.isLocalDomain(uri->host())) {
    return {};
  }
  return registrar::canonicalAor(*uri);
}

std::string_view domainPart(std::string_view aor) {
  size_t at = aor.find('@');
  return at == std::string_view::npos ? std::string_view() : aor.substr(at + 1);
}

void replyError(RequestContext& ctx, const proxy::Error& error) {
  std::string reason = error.detail.substr(0, 120);
  for (char& c : reason) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      c = ' ';
    }
  }
  ctx.router.reply(ctx, error.status >= 400 ? error.status : 500, reason);
}

void replyWithBody(RequestContext& ctx, int status, std::string_view content_type,
                   const std::string& body) {
  proxy::sip::ResponseBuilder builder(ctx.request, status, proxy::sip::defaultReason(status));
  builder.toTag(proxy::randomToken(10));
  builder.header("Server", ctx.router.config().server_name);
  if (!body.empty()) {
    builder.body(content_type, body);
  }
  ctx.router.replyBytes(ctx, status, builder.build());
}

std::optional<DialogState> dialogOf(RequestContext& ctx, std::string_view user) {
  auto subscriber = proxy::routing::subscriberDialogOf(ctx);
  if (!subscriber) {
    return std::nullopt;
  }
  DialogState d;
  std::move(*subscriber).moveInto(d);
  d.local_contact = dialogContact(user, ctx.flow, ctx.router.us(), ctx.router.shardId());
  return d;
}

std::string contentTypeOf(const proxy::sip::SipMessage& request) {
  return proxy::toLower(mediaType(request.header(HeaderName::ContentType)));
}

}  // namespace core::presence::ms_sip
