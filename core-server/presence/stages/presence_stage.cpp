// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/stages/presence_stage.h"

#include <algorithm>

#include "core-server/presence/stages/ms_sip.h"
#include "core-server/registrar/register_request.h"
#include "proxy/base/clock.h"
#include "proxy/base/counters.h"
#include "proxy/base/strings.h"
#include "proxy/routing/shard_router.h"
#include "proxy/routing/subscription_responses.h"

namespace core::presence {

using proxy::routing::RequestContext;
using proxy::routing::Verdict;
using proxy::sip::HeaderName;
using proxy::sip::Method;

namespace {

constexpr std::string_view kPresence = "presence";
constexpr std::string_view kAllowEvents = "presence, presence.winfo";

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

// RFC 3857 §3.2.1: application/watcherinfo+xml, the default when Accept is absent.
bool acceptsWatcherInfo(const proxy::sip::SipMessage& request) {
  std::vector<std::string_view> accepted = request.tokens(HeaderName::Accept);
  return accepted.empty() || std::any_of(accepted.begin(), accepted.end(), [](auto token) {
           std::string type = proxy::toLower(mediaType(token));
           return type == StandardWinfo::kContentType || type == "*/*" || type == "application/*";
         });
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
  return proxy::routing::notifierContact(user, flow, us, shard);
}

// List members' shards as seen from this stage.
class PresenceStage::StageShards final : public MemberShards {
 public:
  StageShards(PresenceStage& stage, proxy::routing::ShardRouter& router, StageRunner run)
      : stage_(stage), router_(router), run_(std::move(run)) {}
  unsigned here() const override { return router_.shardId(); }
  unsigned ownerOf(std::string_view aor) const override {
    return run_ ? router_.ownerOfAor(aor) : router_.shardId();  // no runner: one shard
  }
  void run(unsigned shard,
           std::function<void(PresenceService&, StandardEventList*)> task) override {
    if (shard == here()) {
      task(stage_.service_, stage_.eventlist_.get());
      return;
    }
    run_(shard, [task = std::move(task)](PresenceStage& there) {
      task(there.service_, there.eventlist_.get());
    });
  }

 private:
  PresenceStage& stage_;
  proxy::routing::ShardRouter& router_;
  StageRunner run_;
};

PresenceStage::PresenceStage(PresenceService& service, const registrar::UserDirectory& users,
                             std::string realm)
    : service_(service), users_(users), realm_(std::move(realm)) {}

PresenceStage::~PresenceStage() {
  timer_.reset();
  eventlist_.reset();  // stops watching its members while shards_ and the service exist
  if (winfo_) {
    service_.setWatcherListener(nullptr);
  }
}

SipNotifier& PresenceStage::notifier(proxy::routing::ShardRouter& router) {
  if (!notifier_) {
    notifier_ = std::make_unique<SipNotifier>(router);
  }
  return *notifier_;
}

void PresenceStage::startTimer(proxy::routing::ShardRouter& router) {
  if (!timer_) {
    timer_ = std::make_unique<proxy::uv::Timer>(router.shard().loop(), [this] { onTimer(); });
    timer_->start(1000);
  }
}

void PresenceStage::onTimer() {
  if (winfo_) {
    winfo_->expire();
  }
  if (eventlist_) {
    eventlist_->expire();
  }
  // The next expiry exactly when it is due; a new subscription waits at most a second.
  int64_t delay = 1000;
  const int64_t now = proxy::SystemClock::instance().monotonicMs();
  for (std::optional<int64_t> next : {winfo_ ? winfo_->nextDeadlineMs() : std::nullopt,
                                      eventlist_ ? eventlist_->nextDeadlineMs() : std::nullopt}) {
    if (next) {
      delay = std::clamp<int64_t>(*next - now, 0, delay);
    }
  }
  timer_->start(static_cast<uint64_t>(delay));
}

StandardWinfo& PresenceStage::winfo(proxy::routing::ShardRouter& router) {
  if (!winfo_) {
    winfo_ =
        std::make_unique<StandardWinfo>(service_, notifier(router), proxy::SystemClock::instance());
    service_.setWatcherListener(
        [w = winfo_.get()](const WatcherChange& change) { w->onWatcherChange(change); });
    startTimer(router);
  }
  return *winfo_;
}

void PresenceStage::load(const std::vector<PresenceRecord>& records,
                         const std::function<bool(std::string_view aor)>& owns,
                         proxy::routing::ShardRouter& router) {
  const bool any_winfo = std::any_of(records.begin(), records.end(), [&](const auto& r) {
    return r.kind == RecordKind::Winfo && owns(r.aor);
  });
  if (any_winfo) {
    winfo(router).load(records, owns);
  }
  if (eventlist_) {
    eventlist_->load(records, owns);
  }
}

void PresenceStage::enableEventLists(proxy::routing::ShardRouter& router,
                                     StandardEventList::ContactLists contacts, StageRunner run) {
  shards_ = std::make_unique<StageShards>(*this, router, std::move(run));
  eventlist_ = std::make_unique<StandardEventList>(
      service_, notifier(router), proxy::SystemClock::instance(), *shards_,
      router.us().sentBy(proxy::transport::Protocol::Tcp));
  eventlist_->setContactLists(std::move(contacts));
  startTimer(router);
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
  if (eventlist_ && method == Method::Subscribe &&
      uri->param(StandardEventList::kListParam) != nullptr &&
      users_.lookup(aor, realm_, uri->host()) != nullptr) {
    return onListSubscribe(*ctx, aor, uri->user());
  }
  if (users_.lookup(aor, realm_, uri->host()) == nullptr &&
      !(service_presentity_ && service_presentity_(aor))) {
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
  if (event.package == StandardWinfo::kEvent) {
    return onWinfoSubscribe(ctx, aor, user, std::move(event.id));
  }
  if (event.package != kPresence) {
    replyBadEvent(ctx);
    return Verdict::Done;
  }
  const int format = chooseFormat(request, service_.renderers());
  if (format < 0) {
    ctx.router.reply(ctx, 406, "Not Acceptable", {{"Accept", "application/pidf+xml"}});
    return Verdict::Done;
  }
  auto dialog = ms_sip::dialogOf(ctx, user);
  if (!dialog) {
    return Verdict::Done;  // answered 400
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
  subscribe.dialog = std::move(*dialog);
  std::string our_contact = subscribe.dialog.local_contact;
  SubscribeResult result = service_.subscribe(std::move(subscribe));
  replySubscribe(ctx, result, our_contact);
  return Verdict::Done;
}

Verdict PresenceStage::onWinfoSubscribe(RequestContext& ctx, const std::string& aor,
                                        std::string_view user, std::string event_id) {
  if (requesterAor(ctx) != aor) {
    static auto forbidden = proxy::counters::get("presence.winfo.forbidden");
    forbidden.add();
    ctx.router.reply(ctx, 403, "Only The Presentity May Watch Its Watchers");
    return Verdict::Done;
  }
  if (!acceptsWatcherInfo(ctx.request)) {
    ctx.router.reply(ctx, 406, "Not Acceptable",
                     {{"Accept", std::string(StandardWinfo::kContentType)}});
    return Verdict::Done;
  }
  return subscribeHeld(ctx, user, Owner::Winfo, [&](DialogState dialog) {
    return winfo(ctx.router)
        .subscribe(aor, std::move(event_id), std::move(dialog), ctx.request.expires());
  });
}

Verdict PresenceStage::onInDialogSubscribe(RequestContext& ctx) {
  const proxy::sip::SipMessage& request = ctx.request;
  auto ids = proxy::routing::inDialogIdsOf(ctx);
  if (!ids) {
    return Verdict::Done;  // answered 400
  }
  auto id = service_.findDialog(ids->call_id, ids->local_tag, ids->remote_tag);
  const Subscription* s = id ? service_.subscription(*id) : nullptr;
  if (s == nullptr && winfo_) {
    if (auto winfo_id = winfo_->findDialog(ids->call_id, ids->local_tag, ids->remote_tag)) {
      return onInDialogHeld(ctx, *winfo_id, Owner::Winfo);
    }
  }
  if (s == nullptr && eventlist_) {
    if (auto list_id = eventlist_->findDialog(ids->call_id, ids->local_tag, ids->remote_tag)) {
      return onInDialogHeld(ctx, *list_id, Owner::EventList);
    }
  }
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
  if (proxy::routing::rejectedBadExpires(ctx)) {
    return Verdict::Done;
  }
  std::string our_contact = s->dialog.local_contact;
  SubscribeResult result =
      service_.refresh(*id, request.expires(), ids->cseq, proxy::routing::refreshedTarget(request),
                       ctx.flow.token());
  replySubscribe(ctx, result, our_contact);
  return Verdict::Done;
}

Verdict PresenceStage::onInDialogHeld(RequestContext& ctx, SubscriptionId id, Owner owner) {
  const proxy::sip::SipMessage& request = ctx.request;
  const std::string_view package = owner == Owner::Winfo ? StandardWinfo::kEvent : kPresence;
  if (parseEvent(request.header(HeaderName::Event)).package != package) {
    replyBadEvent(ctx);
    return Verdict::Done;
  }
  if (proxy::routing::rejectedBadExpires(ctx)) {
    return Verdict::Done;
  }
  // Both hold their dialogs the same way: look up, then refresh (full state again).
  auto refresh = [&](auto& held) {
    std::string our_contact = held.dialog(id)->local_contact;
    SubscribeResult result =
        held.refresh(id, request.expires(), request.cseq()->number,
                     proxy::routing::refreshedTarget(request), ctx.flow.token());
    replySubscribe(ctx, result, our_contact, owner);
  };
  if (owner == Owner::Winfo) {
    refresh(*winfo_);
  } else {
    refresh(*eventlist_);
  }
  return Verdict::Done;
}

Verdict PresenceStage::onListSubscribe(RequestContext& ctx, const std::string& aor,
                                       std::string_view user) {
  const proxy::sip::SipMessage& request = ctx.request;
  EventHeader event = parseEvent(request.header(HeaderName::Event));
  if (event.package != kPresence) {
    replyBadEvent(ctx);
    return Verdict::Done;
  }
  if (requesterAor(ctx) != aor) {
    ctx.router.reply(ctx, 403, "Only The Owner May Subscribe To A List");
    return Verdict::Done;
  }
  if (!ms_sip::supports(request, "eventlist")) {
    // RFC 4662 §5.1: a list URI requires the extension.
    ctx.router.reply(ctx, 421, "Extension Required", {{"Require", "eventlist"}});
    return Verdict::Done;
  }
  return subscribeHeld(ctx, user, Owner::EventList, [&](DialogState dialog) {
    return eventlist_->subscribe(aor, std::string(request.requestUri()), std::move(event.id),
                                 std::move(dialog), request.expires());
  });
}

Verdict PresenceStage::subscribeHeld(
    RequestContext& ctx, std::string_view user, Owner owner,
    const std::function<SubscribeResult(DialogState dialog)>& subscribe) {
  auto dialog = ms_sip::dialogOf(ctx, user);
  if (!dialog) {
    return Verdict::Done;  // answered 400
  }
  std::string our_contact = dialog->local_contact;
  replySubscribe(ctx, subscribe(std::move(*dialog)), our_contact, owner);
  return Verdict::Done;
}

void PresenceStage::replySubscribe(RequestContext& ctx, const SubscribeResult& result,
                                   std::string_view contact, Owner owner) {
  if (result.status >= 300) {
    proxy::routing::replySubscribeRefused(ctx, result.status, result.reason, result.min_expires);
    return;
  }
  proxy::routing::HeaderList extra;
  if (owner == Owner::EventList) {
    extra.emplace_back("Require", "eventlist");  // RFC 4662 §5.1: this is a list subscription
  }
  proxy::routing::replySubscribeAccepted(ctx, result.status, result.reason, result.local_tag,
                                         result.expires, contact, extra);
  switch (owner) {  // the first NOTIFY: after the 2xx, on the same flow
    case Owner::Presence:
      service_.sendOwedNotify(result.id);
      break;
    case Owner::Winfo:
      winfo_->sendOwedNotify(result.id);
      break;
    case Owner::EventList:
      eventlist_->sendOwedNotify(result.id);
      break;
  }
}

}  // namespace core::presence
