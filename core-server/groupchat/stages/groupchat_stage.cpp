// SPDX-License-Identifier: Apache-2.0
#include "core-server/groupchat/stages/groupchat_stage.h"

#include <charconv>

#include "core-server/groupchat/xccos_decoder.h"
#include "core-server/groupchat/xccos_encoder.h"
#include "core-server/registrar/register_request.h"
#include "proxy/base/clock.h"
#include "proxy/base/counters.h"
#include "proxy/base/log.h"
#include "proxy/base/random.h"
#include "proxy/base/strings.h"
#include "proxy/routing/target_resolver.h"
#include "proxy/sip/dialog_request.h"

namespace core::groupchat {

using proxy::routing::ContextPtr;
using proxy::routing::RequestContext;
using proxy::routing::Verdict;
using proxy::sip::HeaderName;
using proxy::sip::Method;

namespace {

constexpr std::string_view kAllow = "INVITE, ACK, BYE, CANCEL, INFO, UPDATE, OPTIONS";
// After Session-Expires without a refresh the session is gone (RFC 4028 §10
// lets the UAS wait a little longer than the interval; 32 s is its figure).
constexpr int64_t kExpiryGraceMs = 32'000;

// Final answers to our INFO that mean the session is dead: 481/487 from the client (sipe
// answers 487 on a dialog it forgot), 408 (no answer) and 503 (the transaction layer's
// transport failure: a TCP/TLS client's connection is gone, and it listens on no port).
bool endsSession(int status) {
  return status == 481 || status == 487 || status == 408 || status == 503;
}

int64_t monotonicMs() { return proxy::SystemClock::instance().monotonicMs(); }

// The identity a request speaks for: the digest user when it authenticated,
// else the From (the request-auth stage let it through: trusted, or auth off).
std::string requesterAor(const RequestContext& ctx) {
  if (!ctx.authenticated_aor.empty()) {
    return ctx.authenticated_aor;
  }
  const auto& from = ctx.request.from();
  return from && from->uri().isSip() ? registrar::canonicalAor(from->uri()) : std::string();
}

std::string dialogKey(std::string_view call_id, std::string_view local_tag) {
  std::string key(call_id);
  key.append("\n").append(local_tag);
  return key;
}

bool supportsTimer(const proxy::sip::SipMessage& request) {
  for (std::string_view token : request.tokens(HeaderName::Supported)) {
    if (proxy::toLower(proxy::trim(token)) == "timer") {
      return true;
    }
  }
  return false;
}

// Our Contact for a dialog: the address the request reached, with sh=<shard>
// so that in-dialog requests are routed to this shard.
std::string dialogContact(std::string_view user, const proxy::transport::Flow& flow,
                          const proxy::routing::LocalAddresses& us, unsigned shard) {
  std::string host = proxy::routing::hostPort(flow.local);
  if (flow.local.family() == AF_UNSPEC || host.starts_with("0.0.0.0:") ||
      host.starts_with("[::]:")) {
    host = us.sentBy(flow.protocol);
  }
  std::string contact = "<sip:";
  contact.append(user).append("@").append(host);
  contact.append(";transport=")
      .append(proxy::toLower(proxy::transport::protocolName(flow.protocol)));
  contact.append(";").append(proxy::routing::ShardRouter::kShardParam).append("=");
  contact.append(std::to_string(shard)).append(">");
  return contact;
}

}  // namespace

uint32_t parseSessionExpires(std::string_view value) {
  value = proxy::trim(value.substr(0, value.find(';')));
  uint32_t seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  return ec == std::errc() && end == value.data() + value.size() ? seconds : 0;
}

GroupChatStage::GroupChatStage(proxy::routing::ShardRouter& router, GroupChatStageOptions options,
                               std::shared_ptr<ChannelDirectory> directory, ChannelService* channel)
    : router_(router),
      options_(std::move(options)),
      directory_(std::move(directory)),
      channel_(channel),
      self_(std::make_shared<GroupChatStage*>(this)) {}

GroupChatStage::~GroupChatStage() {
  *self_ = nullptr;
  if (on_destroy_) {
    on_destroy_();
  }
  for (const auto& [key, dialog] : dialogs_) {
    if (!dialog.lookup) {
      directory_->add(dialog.channel_index, -1);
    }
  }
}

Verdict GroupChatStage::onRequest(ContextPtr& ctx) {
  const Method method = ctx->request.method();
  if (ctx->inDialog()) {
    if (!ctx->targets.empty()) {
      return Verdict::Continue;  // routed elsewhere by the loose-route stage
    }
    const auto& to = ctx->request.to();
    if (!to) {
      return Verdict::Continue;
    }
    auto it = dialogs_.find(dialogKey(ctx->request.callId(), to->tag()));
    if (it == dialogs_.end()) {
      auto uri = proxy::sip::Uri::parse(ctx->request.requestUri());
      if (uri && uri->isSip() && router_.us().isUs(*uri) &&
          uri->param(proxy::routing::ShardRouter::kShardParam) != nullptr) {
        const std::string aor = registrar::canonicalAor(*uri);
        const std::string user = proxy::toLower(uri->user());
        if (options_.lookup_aor.starts_with(user + "@") ||
            std::any_of(directory_->aors().begin(), directory_->aors().end(),
                        [&](const std::string& a) { return a.starts_with(user + "@"); })) {
          static auto stale = proxy::counters::get("groupchat.dialog.unknown");
          stale.add();
          router_.reply(*ctx, 481, "Call/Transaction Does Not Exist");
          return Verdict::Done;
        }
      }
      return Verdict::Continue;
    }
    return onInDialog(ctx, it->second);
  }
  if (method != Method::Invite) {
    return Verdict::Continue;
  }
  auto uri = proxy::sip::Uri::parse(ctx->request.requestUri());
  if (!uri || !uri->isSip() || uri->user().empty() || !router_.us().isLocalDomain(uri->host())) {
    return Verdict::Continue;
  }
  const std::string aor = registrar::canonicalAor(*uri);
  const bool lookup = aor == options_.lookup_aor;
  const int index = directory_->indexOf(aor);
  if (!lookup && index < 0) {
    return Verdict::Continue;
  }
  return onInvite(*ctx, lookup, index, uri->user());
}

std::string GroupChatStage::sdpAnswer(const RequestContext& ctx) const {
  std::string host = router_.us().sentBy(ctx.flow.protocol);
  std::string_view family = "IP4";
  if (host.starts_with("[")) {
    host = host.substr(1, host.find(']') - 1);
    family = "IP6";
  } else {
    host = host.substr(0, host.rfind(':'));
  }
  std::string sdp = "v=0\r\n";
  sdp.append("o=- 0 0 IN ").append(family).append(" ").append(host).append("\r\n");
  sdp.append("s=session\r\n");
  sdp.append("c=IN ").append(family).append(" ").append(host).append("\r\n");
  sdp.append("t=0 0\r\n");
  sdp.append("m=message 5060 sip null\r\n");  // MS IM sessions: no media, INFO carries it all
  sdp.append("a=accept-types:text/plain\r\n");
  return sdp;
}

Verdict GroupChatStage::onInvite(RequestContext& ctx, bool lookup, int channel_index,
                                 std::string_view user) {
  static auto opened = proxy::counters::get("groupchat.dialog.opened");
  const proxy::sip::SipMessage& request = ctx.request;
  const auto& from = request.from();
  const auto& to = request.to();
  auto contact = proxy::sip::NameAddr::parse(request.header(HeaderName::Contact));
  if (!from || from->tag().empty() || !to || !contact || contact->isWildcard()) {
    router_.reply(ctx, 400, "Bad From, To or Contact");
    return Verdict::Done;
  }
  const std::string requester = requesterAor(ctx);
  if (requester.empty()) {
    router_.reply(ctx, 403, "Unknown User");
    return Verdict::Done;
  }
  const uint32_t offered = parseSessionExpires(request.header("Session-Expires"));
  if (offered > 0 && offered < options_.min_session_expires_s) {
    router_.reply(ctx, 422, "Session Interval Too Small",
                  {{"Min-SE", std::to_string(options_.min_session_expires_s)}});
    return Verdict::Done;
  }
  Dialog d;
  d.lookup = lookup;
  if (lookup) {
    if (lookup_dialogs_ >= options_.max_lookup_dialogs) {
      router_.reply(ctx, 503, "Service Unavailable", {{"Retry-After", "5"}});
      return Verdict::Done;
    }
  } else {
    auto session = channel_ != nullptr ? channel_->openSession(requester) : std::nullopt;
    if (!session) {
      router_.reply(ctx, 503, "Service Unavailable", {{"Retry-After", "5"}});
      return Verdict::Done;
    }
    d.session = *session;
    d.channel_index = channel_index;
  }
  d.session_expires_s =
      offered > 0 ? std::min(offered, options_.session_expires_s) : options_.session_expires_s;
  d.expires_at_ms = monotonicMs() + int64_t{d.session_expires_s} * 1000 + kExpiryGraceMs;
  d.call_id = std::string(request.callId());
  d.local_tag = proxy::randomToken(10);
  d.remote_tag = std::string(from->tag());
  d.local_uri = std::string(to->uriText());
  d.remote_uri = std::string(from->uriText());
  d.remote_target = std::string(contact->uriText());
  for (std::string_view route : request.headers(HeaderName::RecordRoute)) {
    d.route_set.emplace_back(route);
  }
  d.local_contact = dialogContact(user, ctx.flow, router_.us(), router_.shardId());
  d.flow_token = ctx.flow.token();

  proxy::sip::ResponseBuilder builder(request, 200, "OK");
  builder.toTag(d.local_tag);
  builder.header("Server", router_.config().server_name);
  builder.header("Contact", d.local_contact);
  for (const std::string& route : d.route_set) {
    builder.header("Record-Route", route);
  }
  builder.header("Allow", kAllow);
  builder.header("Supported", "timer");
  builder.header("Session-Expires", std::to_string(d.session_expires_s) + ";refresher=uac");
  if (supportsTimer(request)) {
    builder.header("Require", "timer");
  }
  builder.body("application/sdp", sdpAnswer(ctx));
  std::string key = dialogKey(d.call_id, d.local_tag);
  if (lookup) {
    ++lookup_dialogs_;
  } else {
    directory_->add(channel_index, 1);
    by_session_[d.session] = key;
  }
  by_flow_.emplace(d.flow_token, key);
  dialogs_.emplace(std::move(key), std::move(d));
  opened.add();
  router_.replyBytes(ctx, 200, builder.build());
  return Verdict::Done;
}

Verdict GroupChatStage::onInDialog(ContextPtr& ctx, Dialog& dialog) {
  switch (ctx->request.method()) {
    case Method::Bye: {
      router_.reply(*ctx, 200, "OK");
      endDialog(dialogKey(dialog.call_id, dialog.local_tag), false);
      return Verdict::Done;
    }
    case Method::Update:
      refresh(*ctx, dialog, false);
      return Verdict::Done;
    case Method::Invite:
      refresh(*ctx, dialog, true);
      return Verdict::Done;
    case Method::Options:
      router_.reply(*ctx, 200, "OK", {{"Allow", std::string(kAllow)}});
      return Verdict::Done;
    case Method::Info:
      break;
    default:
      router_.reply(*ctx, 405, "Method Not Allowed", {{"Allow", std::string(kAllow)}});
      return Verdict::Done;
  }
  // Any request in the dialog shows the client is alive; the timer is still the refresh.
  if (dialog.lookup) {
    onLookupInfo(*ctx, dialog);
    return Verdict::Done;
  }
  // The answer may come after a commit: keep the request until then.
  auto held = std::make_shared<ContextPtr>(std::move(ctx));
  std::weak_ptr<GroupChatStage*> weak = self_;
  const std::string body(held->get()->request.body());
  channel_->onInfo(dialog.session, body, [held, weak](InfoAnswer answer) {
    auto self = weak.lock();
    if (!*held || !self || *self == nullptr) {
      return;  // shutting down: the router is gone, drop the request
    }
    RequestContext& c = **held;
    if (answer.status == 503) {
      c.router.reply(c, 503, "Service Unavailable",
                     {{"Retry-After", std::to_string(answer.retry_after_s)}});
    } else {
      c.router.reply(c, answer.status);
    }
    held->reset();
  });
  return Verdict::Pause;
}

void GroupChatStage::onLookupInfo(RequestContext& ctx, Dialog& dialog) {
  XmlLimits limits;
  auto envelope = decodeClient(ctx.request.body(), limits);
  if (!envelope) {
    router_.reply(ctx, envelope.error().status == 0 ? 400 : envelope.error().status);
    return;
  }
  router_.reply(ctx, 200, "OK");
  EnvelopeBuilder builder(std::hash<std::string>{}(proxy::randomToken(12)));
  if (std::holds_alternative<RequestUriCommand>(envelope->message)) {
    builder.replyTo(*envelope, xccos::kSuccess,
                    RequestUriReply{"sip:" + directory_->leastLoaded()});
  } else {
    builder.rejectTo(*envelope);  // the lookup service knows requri only
  }
  const std::string key = dialogKey(dialog.call_id, dialog.local_tag);
  std::weak_ptr<GroupChatStage*> weak = self_;
  sendInDialog(dialog, "INFO", builder.finish(), [weak, key](int status) {
    if (endsSession(status)) {
      if (auto self = weak.lock(); self && *self != nullptr) {
        (*self)->endDialog(key, false);
      }
    }
  });
}

void GroupChatStage::refresh(RequestContext& ctx, Dialog& dialog, bool with_sdp) {
  const uint32_t offered = parseSessionExpires(ctx.request.header("Session-Expires"));
  if (offered > 0 && offered < options_.min_session_expires_s) {
    router_.reply(ctx, 422, "Session Interval Too Small",
                  {{"Min-SE", std::to_string(options_.min_session_expires_s)}});
    return;
  }
  dialog.session_expires_s =
      offered > 0 ? std::min(offered, options_.session_expires_s) : options_.session_expires_s;
  dialog.expires_at_ms = monotonicMs() + int64_t{dialog.session_expires_s} * 1000 + kExpiryGraceMs;
  if (auto contact = proxy::sip::NameAddr::parse(ctx.request.header(HeaderName::Contact));
      contact && !contact->isWildcard()) {
    dialog.remote_target = std::string(contact->uriText());  // RFC 3261 §12.2.2
  }
  proxy::sip::ResponseBuilder builder(ctx.request, 200, "OK");
  builder.toTag(dialog.local_tag);
  builder.header("Server", router_.config().server_name);
  builder.header("Contact", dialog.local_contact);
  builder.header("Session-Expires", std::to_string(dialog.session_expires_s) + ";refresher=uac");
  if (supportsTimer(ctx.request)) {
    builder.header("Require", "timer");
  }
  if (with_sdp) {
    builder.body("application/sdp", sdpAnswer(ctx));
  }
  router_.replyBytes(ctx, 200, builder.build());
}

void GroupChatStage::sendEnvelope(SessionId session, std::string xml) {
  auto it = by_session_.find(session);
  if (it == by_session_.end()) {
    return;
  }
  auto dialog = dialogs_.find(it->second);
  if (dialog == dialogs_.end()) {
    return;
  }
  const std::string key = it->second;
  std::weak_ptr<GroupChatStage*> weak = self_;
  sendInDialog(dialog->second, "INFO", xml, [weak, key](int status) {
    // The client says the dialog is dead (sipe answers 487 after a restart), or
    // it no longer answers at all: end the session.
    if (endsSession(status)) {
      static auto dead = proxy::counters::get("groupchat.dialog.dead");
      dead.add();
      if (auto self = weak.lock(); self && *self != nullptr) {
        (*self)->endDialog(key, false);
      }
    }
  });
}

void GroupChatStage::sendInDialog(Dialog& d, std::string_view method, std::string_view body,
                                  std::function<void(int)> on_final) {
  static auto unroutable = proxy::counters::get("groupchat.info.unroutable");
  std::string out;
  out.reserve(512 + body.size());
  proxy::sip::appendDialogRequestHead(
      out, {method, d.remote_target, d.route_set, d.local_uri, d.local_tag, d.remote_uri,
            d.remote_tag, d.call_id, d.local_cseq++, d.local_contact});
  out.append("User-Agent: ").append(router_.config().server_name).append("\r\n");
  if (!body.empty()) {
    out.append("Content-Type: text/plain; charset=UTF-8\r\n");
  }
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
  out.append(body);
  auto request = proxy::sip::SipMessage::parse(out, router_.config().parse_limits);
  if (!request) {
    unroutable.add();
    LOG_WARN("groupchat: cannot build %.*s to %s", static_cast<int>(method.size()), method.data(),
             d.remote_target.c_str());
    return;
  }
  // Without the dialog's flow the router finds the hop (waiting for DNS if needed); no
  // hop at all comes back to on_final as a 480.
  router_.sendOriginated(
      std::move(*request), proxy::transport::Flow::fromToken(d.flow_token),
      [on_final = std::move(on_final)](proxy::sip::SipMessage&& response, bool final) {
        if (final && on_final) {
          on_final(response.statusCode());
        }
      });
}

void GroupChatStage::endDialog(const std::string& key, bool send_bye) {
  auto it = dialogs_.find(key);
  if (it == dialogs_.end()) {
    return;
  }
  Dialog& d = it->second;
  if (send_bye) {
    sendInDialog(d, "BYE", {}, {});
  }
  if (d.lookup) {
    --lookup_dialogs_;
  } else {
    directory_->add(d.channel_index, -1);
    by_session_.erase(d.session);
    if (channel_ != nullptr) {
      channel_->closeSession(d.session);
    }
  }
  auto [first, last] = by_flow_.equal_range(d.flow_token);
  for (auto f = first; f != last; ++f) {
    if (f->second == key) {
      by_flow_.erase(f);
      break;
    }
  }
  dialogs_.erase(it);
}

size_t GroupChatStage::flowClosed(const std::string& flow_token) {
  static auto closed = proxy::counters::get("groupchat.dialog.connection_closed");
  std::vector<std::string> keys;
  auto [first, last] = by_flow_.equal_range(flow_token);
  for (auto f = first; f != last; ++f) {
    keys.push_back(f->second);
  }
  // Dropped as a whole first: endDialog() then finds nothing to scan for, so
  // closing a front-end connection with K sessions costs O(K), not O(K²).
  by_flow_.erase(flow_token);
  for (const std::string& key : keys) {
    endDialog(key, /*send_bye=*/false);  // nowhere to send it
  }
  closed.add(keys.size());
  return keys.size();
}

void GroupChatStage::housekeeping(int64_t now_ms) {
  static auto expired = proxy::counters::get("groupchat.dialog.expired");
  std::vector<std::string> due;
  for (const auto& [key, dialog] : dialogs_) {
    if (dialog.expires_at_ms <= now_ms) {
      due.push_back(key);
    }
  }
  for (const std::string& key : due) {
    expired.add();
    endDialog(key, true);
  }
}

}  // namespace core::groupchat
