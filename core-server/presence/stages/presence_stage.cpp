// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/stages/presence_stage.h"

#include "core-server/registrar/register_request.h"
#include "proxy/base/counters.h"
#include "proxy/base/strings.h"
#include "proxy/routing/shard_router.h"

namespace core::presence {

using proxy::routing::RequestContext;
using proxy::routing::Verdict;
using proxy::sip::HeaderName;
using proxy::sip::Method;

namespace {

constexpr std::string_view kPresence = "presence";
constexpr std::string_view kAllowEvents = "presence";

// The renderer for the watcher's Accept (RFC 3856 §6.7: PIDF when absent); -1 if none.
int chooseFormat(const proxy::sip::SipMessage& request, const RendererRegistry& renderers) {
  std::vector<std::string_view> accepted = request.tokens(HeaderName::Accept);
  const int pidf = renderers.find("application/pidf+xml");
  if (accepted.empty()) {
    return pidf;
  }
  for (std::string_view token : accepted) {
    std::string_view type = mediaType(token);
    if (int format = renderers.find(type); format >= 0) {
      return format;
    }
    if (type == "*/*" || proxy::toLower(type) == "application/*") {
      return pidf;
    }
  }
  return -1;
}

// Parser errors become reason phrases: keep them printable and short.
std::string reasonPhrase(std::string_view text) {
  std::string out(text.substr(0, 120));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      c = ' ';
    }
  }
  return out;
}

void replyBadEvent(RequestContext& ctx) {
  ctx.router.reply(ctx, 489, "Bad Event", {{"Allow-Events", std::string(kAllowEvents)}});
}

}  // namespace

std::string_view mediaType(std::string_view value) {
  size_t semi = value.find(';');
  return proxy::trim(semi == std::string_view::npos ? value : value.substr(0, semi));
}

std::string requesterAor(const RequestContext& ctx) {
  if (!ctx.authenticated_aor.empty()) {
    return ctx.authenticated_aor;
  }
  auto from = ctx.request.from();
  return from && from->uri().isSip() ? registrar::canonicalAor(from->uri()) : std::string();
}

EventHeader parseEvent(std::string_view value) {
  EventHeader event;
  size_t semi = value.find(';');
  event.package = proxy::toLower(proxy::trim(value.substr(0, semi)));
  while (semi != std::string_view::npos) {
    value.remove_prefix(semi + 1);
    semi = value.find(';');
    std::string_view param = proxy::trim(value.substr(0, semi));
    if (param.size() > 3 && proxy::toLower(param.substr(0, 3)) == "id=") {
      event.id = std::string(proxy::trim(param.substr(3)));
    }
  }
  return event;
}

std::string dialogContact(std::string_view user, const proxy::transport::Flow& flow,
                          const proxy::routing::LocalAddresses& us, unsigned shard) {
  std::string host = proxy::routing::hostPort(flow.local);
  if (flow.local.family() == AF_UNSPEC || host.starts_with("0.0.0.0:") ||
      host.starts_with("[::]:")) {
    host = us.sentBy(flow.protocol);  // a wildcard listener: name the configured one
  }
  std::string contact = "<sip:";
  contact.append(user).append("@").append(host);
  contact.append(";transport=")
      .append(proxy::toLower(proxy::transport::protocolName(flow.protocol)));
  contact.append(";").append(proxy::routing::ShardRouter::kShardParam).append("=");
  contact.append(std::to_string(shard)).append(">");
  return contact;
}

Verdict PresenceStage::onRequest(proxy::routing::ContextPtr& ctx) {
  const Method method = ctx->request.method();
  if (method != Method::Publish && method != Method::Subscribe) {
    return Verdict::Continue;
  }
  if (method == Method::Subscribe && ctx->inDialog()) {
    if (!ctx->targets.empty()) {
      return Verdict::Continue;  // a dialog we only record-route: the loose-route stage routed it
    }
    return onInDialogSubscribe(*ctx);
  }
  auto uri = proxy::sip::Uri::parse(ctx->request.requestUri());
  if (!uri || !uri->isSip() || uri->user().empty() ||
      !ctx->router.us().isLocalDomain(uri->host())) {
    return Verdict::Continue;  // not a presentity of ours
  }
  const std::string aor = registrar::canonicalAor(*uri);
  if (users_.lookup(aor, realm_, uri->host()) == nullptr) {
    ctx->router.reply(*ctx, 404, "Not Found");
    return Verdict::Done;
  }
  if (method == Method::Publish) {
    return onPublish(*ctx, aor);
  }
  return onSubscribe(*ctx, aor, uri->user());
}

Verdict PresenceStage::onPublish(RequestContext& ctx, const std::string& aor) {
  const proxy::sip::SipMessage& request = ctx.request;
  if (parseEvent(request.header(HeaderName::Event)).package != kPresence) {
    replyBadEvent(ctx);
    return Verdict::Done;
  }
  if (requesterAor(ctx) != aor) {
    static auto forbidden = proxy::counters::get("presence.publish.forbidden");
    forbidden.add();
    ctx.router.reply(ctx, 403, "Only The Presentity May Publish");
    return Verdict::Done;
  }
  PublishRequest publish;
  publish.presentity = aor;
  publish.if_match = std::string(proxy::trim(request.header(HeaderName::SipIfMatch)));
  publish.expires = request.expires();
  if (request.has(HeaderName::Expires) && !publish.expires) {
    ctx.router.reply(ctx, 400, "Bad Expires");
    return Verdict::Done;
  }
  publish.body = request.body();
  publish.content_type = publish.body.empty() ? std::string_view()
                                              : mediaType(request.header(HeaderName::ContentType));
  PublishResult result = service_.publish(publish);
  proxy::routing::HeaderList headers;
  switch (result.status) {
    case 200:
      headers.emplace_back("SIP-ETag", result.etag);
      headers.emplace_back("Expires", std::to_string(result.expires));
      break;
    case 423:
      headers.emplace_back("Min-Expires", std::to_string(result.min_expires));
      break;
    case 415:
      headers.emplace_back("Accept", std::string(result.accept));
      break;
    default:
      break;
  }
  ctx.router.reply(ctx, result.status, reasonPhrase(result.reason), headers);
  return Verdict::Done;
}

Verdict PresenceStage::onSubscribe(RequestContext& ctx, const std::string& aor,
                                   std::string_view user) {
  const proxy::sip::SipMessage& request = ctx.request;
  EventHeader event = parseEvent(request.header(HeaderName::Event));
  if (event.package != kPresence) {
    replyBadEvent(ctx);
    return Verdict::Done;
  }
  const int format = chooseFormat(request, service_.renderers());
  if (format < 0) {
    ctx.router.reply(ctx, 406, "Not Acceptable", {{"Accept", "application/pidf+xml"}});
    return Verdict::Done;
  }
  auto from = request.from();
  auto to = request.to();
  auto cseq = request.cseq();
  auto contact = proxy::sip::NameAddr::parse(request.header(HeaderName::Contact));
  if (!from || from->tag().empty() || !to || !cseq) {
    ctx.router.reply(ctx, 400, "Bad From, To or CSeq");
    return Verdict::Done;
  }
  if (!request.has(HeaderName::Contact) || !contact || contact->isWildcard()) {
    ctx.router.reply(ctx, 400, "Missing Contact");
    return Verdict::Done;
  }
  if (request.has(HeaderName::Expires) && !request.expires()) {
    ctx.router.reply(ctx, 400, "Bad Expires");
    return Verdict::Done;
  }
  const std::string watcher = requesterAor(ctx);
  if (watcher.empty()) {
    ctx.router.reply(ctx, 400, "Bad From");
    return Verdict::Done;
  }
  SubscribeRequest subscribe;
  subscribe.presentity = aor;
  subscribe.watcher = watcher;
  subscribe.event = std::string(kPresence);
  subscribe.event_id = std::move(event.id);
  subscribe.format = format;
  for (std::string_view option : request.tokens(HeaderName::Supported)) {
    subscribe.benotify = subscribe.benotify || proxy::toLower(option) == "ms-benotify";
  }
  subscribe.expires = request.expires();
  DialogState& d = subscribe.dialog;
  d.call_id = std::string(request.callId());
  d.remote_tag = std::string(from->tag());
  d.local_uri = std::string(to->uriText());
  d.remote_uri = std::string(from->uriText());
  d.remote_target = std::string(contact->uriText());
  for (std::string_view route : request.headers(HeaderName::RecordRoute)) {
    d.route_set.emplace_back(route);
  }
  d.local_contact = dialogContact(user, ctx.flow, ctx.router.us(), ctx.router.shardId());
  d.flow_token = ctx.flow.token();
  d.remote_cseq = cseq->number;
  std::string our_contact = d.local_contact;
  SubscribeResult result = service_.subscribe(std::move(subscribe));
  replySubscribe(ctx, result, our_contact);
  return Verdict::Done;
}

Verdict PresenceStage::onInDialogSubscribe(RequestContext& ctx) {
  const proxy::sip::SipMessage& request = ctx.request;
  auto from = request.from();
  auto to = request.to();
  auto cseq = request.cseq();
  if (!from || !to || !cseq) {
    ctx.router.reply(ctx, 400, "Bad From, To or CSeq");
    return Verdict::Done;
  }
  auto id = service_.findDialog(request.callId(), to->tag(), from->tag());
  const Subscription* s = id ? service_.subscription(*id) : nullptr;
  if (s == nullptr) {
    static auto unknown = proxy::counters::get("presence.subscribe.unknown_dialog");
    unknown.add();
    ctx.router.reply(ctx, 481, "Subscription Does Not Exist");
    return Verdict::Done;
  }
  if (parseEvent(request.header(HeaderName::Event)).package != s->event) {
    replyBadEvent(ctx);
    return Verdict::Done;
  }
  if (request.has(HeaderName::Expires) && !request.expires()) {
    ctx.router.reply(ctx, 400, "Bad Expires");
    return Verdict::Done;
  }
  std::string our_contact = s->dialog.local_contact;
  std::string target;
  if (auto contact = proxy::sip::NameAddr::parse(request.header(HeaderName::Contact));
      contact && !contact->isWildcard() && request.has(HeaderName::Contact)) {
    target = std::string(contact->uriText());
  }
  SubscribeResult result =
      service_.refresh(*id, request.expires(), cseq->number, std::move(target), ctx.flow.token());
  replySubscribe(ctx, result, our_contact);
  return Verdict::Done;
}

void PresenceStage::replySubscribe(RequestContext& ctx, const SubscribeResult& result,
                                   std::string_view contact) {
  if (result.status >= 300) {
    proxy::routing::HeaderList headers;
    if (result.status == 423) {
      headers.emplace_back("Min-Expires", std::to_string(result.min_expires));
    }
    ctx.router.reply(ctx, result.status, result.reason, headers);
    return;
  }
  proxy::sip::ResponseBuilder builder(ctx.request, result.status, result.reason);
  builder.toTag(result.local_tag);
  builder.header("Server", ctx.router.config().server_name);
  builder.header("Expires", std::to_string(result.expires));
  builder.header("Contact", contact);
  ctx.router.replyBytes(ctx, result.status, builder.build());
  service_.sendOwedNotify(result.id);  // after the 2xx, on the same flow
}

}  // namespace core::presence
