// SPDX-License-Identifier: Apache-2.0
#include "proxy/routing/subscription_responses.h"

#include "proxy/base/strings.h"
#include "proxy/sip/name_addr.h"

namespace proxy::routing {

using sip::HeaderName;

std::optional<SubscriberDialog> subscriberDialogOf(RequestContext& ctx) {
  const sip::SipMessage& request = ctx.request;
  const auto& from = request.from();
  const auto& to = request.to();
  auto cseq = request.cseq();
  auto contact = sip::NameAddr::parse(request.header(HeaderName::Contact));
  if (!from || from->tag().empty() || !to || !cseq || !request.has(HeaderName::Contact) ||
      !contact || contact->isWildcard()) {
    ctx.router.reply(ctx, 400, "Bad From, To, CSeq or Contact");
    return std::nullopt;
  }
  if (rejectedBadExpires(ctx)) {
    return std::nullopt;
  }
  SubscriberDialog d;
  d.call_id = std::string(request.callId());
  d.remote_tag = std::string(from->tag());
  d.local_uri = std::string(to->uriText());
  d.remote_uri = std::string(from->uriText());
  d.remote_target = std::string(contact->uriText());
  for (std::string_view route : request.headers(HeaderName::RecordRoute)) {
    d.route_set.emplace_back(route);
  }
  d.flow_token = ctx.flow.token();
  d.remote_cseq = cseq->number;
  return d;
}

std::optional<InDialogIds> inDialogIdsOf(RequestContext& ctx) {
  const sip::SipMessage& request = ctx.request;
  const auto& from = request.from();
  const auto& to = request.to();
  auto cseq = request.cseq();
  if (!from || !to || !cseq) {
    ctx.router.reply(ctx, 400, "Bad From, To or CSeq");
    return std::nullopt;
  }
  return InDialogIds{request.callId(), to->tag(), from->tag(), cseq->number};
}

bool rejectedBadExpires(RequestContext& ctx) {
  if (ctx.request.has(HeaderName::Expires) && !ctx.request.expires()) {
    ctx.router.reply(ctx, 400, "Bad Expires");
    return true;
  }
  return false;
}

std::string refreshedTarget(const sip::SipMessage& request) {
  auto contact = sip::NameAddr::parse(request.header(HeaderName::Contact));
  if (contact && !contact->isWildcard() && request.has(HeaderName::Contact)) {
    return std::string(contact->uriText());
  }
  return {};
}

std::string notifierContact(std::string_view user, const transport::Flow& flow,
                            const LocalAddresses& us, unsigned shard) {
  std::string host;
  if (flow.local.family() != AF_UNSPEC) {
    host = hostPort(flow.local);
  }
  if (host.empty() || host.starts_with("0.0.0.0:") || host.starts_with("[::]:")) {
    host = us.sentBy(flow.protocol);  // a wildcard listener: name the configured one
  }
  std::string contact = "<sip:";
  contact.append(user).append("@").append(host);
  contact.append(";transport=").append(toLower(transport::protocolName(flow.protocol)));
  contact.append(";").append(ShardRouter::kShardParam).append("=");
  contact.append(std::to_string(shard)).append(">");
  return contact;
}

void replySubscribeRefused(RequestContext& ctx, int status, std::string_view reason,
                           uint32_t min_expires) {
  HeaderList headers;
  if (status == 423) {
    headers.emplace_back("Min-Expires", std::to_string(min_expires));
  }
  ctx.router.reply(ctx, status, reason, headers);
}

void replySubscribeAccepted(RequestContext& ctx, int status, std::string_view reason,
                            std::string_view to_tag, uint32_t expires, std::string_view contact,
                            const HeaderList& extra) {
  sip::ResponseBuilder builder(ctx.request, status, reason);
  builder.toTag(to_tag);
  builder.header("Server", ctx.router.config().server_name);
  builder.header("Expires", std::to_string(expires));
  builder.header("Contact", contact);
  for (const auto& [name, value] : extra) {
    builder.header(name, value);
  }
  for (std::string_view route : ctx.request.headers(HeaderName::RecordRoute)) {
    builder.header("Record-Route", route);
  }
  ctx.router.replyBytes(ctx, status, builder.build());
}

}  // namespace proxy::routing
