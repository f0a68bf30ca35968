// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/stages/ms_presence.h"

#include "core-server/presence/ms_mapping.h"
#include "core-server/presence/roaming/ms_contact_soap.h"
#include "core-server/presence/roaming/ms_roaming_contacts.h"
#include "core-server/presence/roaming/provisioning.h"
#include "core-server/presence/stages/ms_renderer.h"
#include "core-server/presence/stages/ms_sip.h"
#include "core-server/presence/xml_tree.h"
#include "proxy/base/counters.h"
#include "proxy/base/log.h"
#include "proxy/base/random.h"
#include "proxy/base/strings.h"

namespace core::presence {

using ms_sip::contentTypeOf;
using ms_sip::dialogOf;
using ms_sip::domainPart;
using ms_sip::localAor;
using ms_sip::replyError;
using ms_sip::replyWithBody;
using ms_sip::supports;
using proxy::routing::RequestContext;
using proxy::sip::HeaderName;

namespace {

constexpr std::string_view kRoamingContacts = "vnd-microsoft-roaming-contacts";
constexpr std::string_view kRoamingSelf = "vnd-microsoft-roaming-self";
constexpr std::string_view kProvisioningV2 = "vnd-microsoft-provisioning-v2";
constexpr std::string_view kContactsType = "application/vnd-microsoft-roaming-contacts+xml";
constexpr std::string_view kSelfType = "application/vnd-microsoft-roaming-self+xml";
constexpr std::string_view kProvisioningType =
    "application/vnd-microsoft-roaming-provisioning-v2+xml";
constexpr std::string_view kCategoryPublishType = "application/msrtc-category-publish+xml";
constexpr std::string_view kSoapType = "application/soap+xml";
constexpr std::string_view kSetSubscribersType = "application/msrtc-presence-setsubscriber+xml";
constexpr uint32_t kSelfDefaultExpires = 3600;

}  // namespace

MsPresence::MsPresence(proxy::routing::ShardRouter& router, PresenceService& presence,
                       const proxy::Clock& clock, MsOptions options,
                       const std::vector<MsPresence*>& peers, PresenceStateStore* store)
    : router_(router),
      clock_(clock),
      presence_(presence),
      options_(std::move(options)),
      peers_(peers),
      store_(store),
      notifier_(router) {}

MsPresence::~MsPresence() = default;

void MsPresence::load(const std::vector<PresenceRecord>& records,
                      const std::function<bool(std::string_view aor)>& owns) {
  for (const PresenceRecord& record : records) {
    if (!owns(record.aor)) {
      continue;
    }
    if (record.kind == RecordKind::MsSelf) {
      restoreSelf(record);
      continue;
    }
    if (record.kind == RecordKind::MsBatch) {
      restoreBatch(record);
      continue;
    }
    if (record.kind != RecordKind::MsAccount) {
      continue;
    }
    auto account = accountFromJson(record.value, options_.xml, options_.contacts);
    if (!account) {
      LOG_WARN("presence: dropping unreadable MS account of %s: %s", record.aor.c_str(),
               account.error().detail.c_str());
      continue;
    }
    // Endpoints did not survive the restart (their connections are gone): they
    // publish again when they sign in again.
    dropEndpointPublications(*account);
    accounts_[record.aor] = std::move(*account);
    feedPresence(record.aor);
  }
}

const MsAccount* MsPresence::account(std::string_view aor) const {
  auto it = accounts_.find(std::string(aor));
  return it == accounts_.end() ? nullptr : &it->second;
}

MsAccount& MsPresence::accountOf(const std::string& aor) { return accounts_[aor]; }

void MsPresence::persist(const std::string& aor) {
  if (store_ == nullptr) {
    return;
  }
  store_->save(PresenceRecord{RecordKind::MsAccount, aor, aor, accountToJson(accountOf(aor)), 0});
}

void MsPresence::feedPresence(const std::string& aor) {
  const MsAccount& account = accountOf(aor);
  MsFold fold = foldAccount(account, clock_.unixSeconds());
  // Sources of endpoints that stopped publishing endpoint-bound state go away.
  std::set<std::string> live;
  for (const EndpointPresence& e : fold.endpoints) {
    live.insert(e.source_id);
  }
  for (EndpointPresence& endpoint : fold.endpoints) {
    presence_.setSource(aor, std::move(endpoint), 0);
  }
  for (const std::string& epid : known_sources_[aor]) {
    if (live.count(epid) == 0) {
      presence_.removeSource(aor, epid);
    }
  }
  known_sources_[aor] = std::move(live);
  presence_.editUserLevel(aor, [&fold](PresentityState& s) {
    s.user_state = fold.user_level.user_state;
    s.personal_note = fold.user_level.personal_note;
    s.oof_note = fold.user_level.oof_note;
    s.ms_categories = fold.user_level.ms_categories;
  });
}

std::string MsPresence::roamingSelfBody(const std::string& aor,
                                        const roaming::RoamingSelfSections& sections) {
  const MsAccount& account = accountOf(aor);
  roaming::RoamingSelf self;
  self.uri = "sip:" + aor;
  self.categories = roamingCategories(account);
  for (const auto& [id, container] : account.containers) {
    self.containers.push_back(container);
  }
  for (const WatcherInfo& w : presence_.watchers(aor)) {
    roaming::RoamingSubscriber s;
    s.uri = "sip:" + w.watcher;
    // Only watchers awaiting a decision make the client ask its user.
    s.acknowledged = w.decision != Decision::Confirm || account.acknowledged.count(w.watcher) > 0;
    self.subscribers.push_back(std::move(s));
  }
  return renderRoamingSelf(self, sections);
}

void MsPresence::sendNotify(SelfDialog& d, std::string_view content_type, const std::string& body) {
  NotifyMessage m;
  ++d.dialog.local_cseq;
  m.dialog = &d.dialog;
  m.event = d.event;
  const int64_t left_ms = std::max<int64_t>(0, d.expires_ms - clock_.monotonicMs());
  m.subscription_state = d.expires_ms == 0 ? "terminated;reason=timeout"
                                           : "active;expires=" + std::to_string(left_ms / 1000);
  m.content_type = content_type;
  m.benotify = d.benotify && d.dialog.local_cseq > 1;
  if (!body.empty()) {
    m.body = std::make_shared<const std::string>(body);
  }
  notifier_.sendNotify(m);
  if (d.stored && d.dialog.local_cseq >= d.cseq_reserved) {
    persistSelf(d);  // the stored CSeq bound is used up
  }
}

void MsPresence::notifyDialogs(const std::string& aor, std::string_view event,
                               std::string_view content_type, const std::string& body) {
  for (auto& [key, d] : dialogs_) {
    if (d.aor == aor && d.event == event) {
      sendNotify(d, content_type, body);
    }
  }
}

// ---- Self subscriptions ----

void MsPresence::onSelfSubscribe(RequestContext& ctx, const std::string& aor, std::string_view user,
                                 std::string_view event) {
  static auto self_subscribes = proxy::counters::get("presence.ms.self_subscribe");
  const proxy::sip::SipMessage& request = ctx.request;
  std::optional<DialogState> dialog = dialogOf(ctx, user);
  if (!dialog) {
    return;
  }
  SelfDialog d;
  d.aor = aor;
  d.event = std::string(event);
  d.benotify = supports(request, "ms-benotify");
  uint32_t expires = request.expires().value_or(kSelfDefaultExpires);
  const PresenceOptions& po = presence_.options();
  if (expires != 0) {
    expires = std::clamp(expires, po.subscribe_min_expires, po.subscribe_max_expires);
  }
  std::string body;
  std::string_view content_type;
  if (event == kRoamingContacts) {
    body = roaming::renderContactList(accountOf(aor).contacts);
    content_type = kContactsType;
  } else if (event == kRoamingSelf) {
    auto sections = roaming::parseRoamingList(request.body(), options_.xml);
    if (!sections) {
      replyError(ctx, sections.error());
      return;
    }
    d.sections = *sections;
    body = roamingSelfBody(aor, d.sections);
    content_type = kSelfType;
  } else if (event == kProvisioningV2) {
    auto groups = roaming::parseProvisioningGroupList(request.body(), options_.xml);
    if (!groups) {
      replyError(ctx, groups.error());
      return;
    }
    roaming::ProvisioningConfig config;
    config.domain = std::string(domainPart(aor));
    config.persistent_chat_pool_uri = options_.persistent_chat_pool_uri;
    body = roaming::renderProvisioningV2(config, *groups);
    content_type = kProvisioningType;
    expires = 0;  // one-shot, whatever was asked
  }               // presence.wpending: pending watchers are told through roaming-self
  self_subscribes.add();
  d.dialog = std::move(*dialog);
  d.dialog.local_tag = proxy::randomToken(12);
  d.expires_ms = expires == 0 ? 0 : clock_.monotonicMs() + int64_t{expires} * 1000;
  d.expires_at_unix = clock_.unixSeconds() + int64_t{expires};
  const bool piggyback = !body.empty() && supports(request, "ms-piggyback-first-notify");

  proxy::sip::ResponseBuilder builder(request, 200, "OK");
  builder.toTag(d.dialog.local_tag);
  builder.header("Server", ctx.router.config().server_name);
  builder.header("Expires", std::to_string(expires));
  builder.header("Event", event);
  builder.header("Contact", d.dialog.local_contact);
  if (piggyback) {
    // MS-SIPRE ms-piggyback-first-notify: the first NOTIFY's body, in the 200.
    d.dialog.local_cseq = 1;
    builder.header("ms-piggyback-cseq", "1");
    builder.body(content_type, body);
  }
  ctx.router.replyBytes(ctx, 200, builder.build());
  if (!piggyback && !body.empty()) {
    sendNotify(d, content_type, body);
  }
  if (expires != 0) {
    std::string key = dialogKey(d.dialog);
    SelfDialog& kept = dialogs_[key] = std::move(d);
    persistSelf(kept);
    scheduleExpiry(key, kept.expires_ms);
  }
}

bool MsPresence::onInDialogSubscribe(RequestContext& ctx) {
  const proxy::sip::SipMessage& request = ctx.request;
  auto from = request.from();
  auto to = request.to();
  auto cseq = request.cseq();
  if (!from || !to || !cseq) {
    return false;
  }
  const std::string key = dialogKey(request.callId(), to->tag(), from->tag());
  auto self = dialogs_.find(key);
  auto batch = batches_.find(key);
  if (self == dialogs_.end() && batch == batches_.end()) {
    return false;
  }
  const PresenceOptions& po = presence_.options();
  uint32_t expires = request.expires().value_or(kSelfDefaultExpires);
  if (expires != 0) {
    expires = std::clamp(expires, po.subscribe_min_expires, po.subscribe_max_expires);
  }
  const int64_t deadline = clock_.monotonicMs() + int64_t{expires} * 1000;
  std::string target;
  if (auto contact = proxy::sip::NameAddr::parse(request.header(HeaderName::Contact));
      contact && !contact->isWildcard() && request.has(HeaderName::Contact)) {
    target = std::string(contact->uriText());
  }
  std::string our_contact;
  std::string event;
  std::vector<BatchMember> refresh;  // after our 200: their NOTIFYs must follow it
  DialogState member_dialog;         // the batch's, for members known by their tags only
  if (self != dialogs_.end()) {
    SelfDialog& d = self->second;
    our_contact = d.dialog.local_contact;
    event = d.event;
    d.dialog.remote_cseq = cseq->number;
    d.dialog.flow_token = ctx.flow.token();
    if (!target.empty()) {
      d.dialog.remote_target = target;
    }
    d.expires_ms = deadline;
    d.expires_at_unix = clock_.unixSeconds() + int64_t{expires};
    if (expires == 0) {
      eraseSelf(d);
      dialogs_.erase(self);
    } else {
      persistSelf(d);
      scheduleExpiry(key, deadline);
    }
  } else {
    Batch& b = batch->second;
    our_contact = b.dialog.local_contact;
    event = "presence";
    b.expires_ms = deadline;
    b.expires_s = expires;
    b.expires_at_unix = clock_.unixSeconds() + int64_t{expires};
    b.dialog.remote_cseq = cseq->number;
    b.dialog.flow_token = ctx.flow.token();
    if (!target.empty()) {
      b.dialog.remote_target = target;
    }
    refresh = b.members;
    member_dialog = b.dialog;
    if (expires == 0) {
      eraseBatch(b);
      batches_.erase(batch);
    } else {
      persistBatch(b);
      scheduleExpiry(key, deadline);
    }
  }
  proxy::sip::ResponseBuilder builder(request, 200, "OK");
  builder.toTag(to->tag());
  builder.header("Server", ctx.router.config().server_name);
  builder.header("Expires", std::to_string(expires));
  builder.header("Event", event);
  builder.header("Contact", our_contact);
  ctx.router.replyBytes(ctx, 200, builder.build());
  for (const BatchMember& m : refresh) {
    if (m.id != 0 || !m.local_tag.empty()) {
      const SubscriptionId id = m.id;
      const uint32_t number = cseq->number;
      DialogState dialog;  // the member's own dialog: the batch's with its From tag
      dialog.call_id = member_dialog.call_id;
      dialog.remote_tag = member_dialog.remote_tag;
      dialog.local_tag = m.local_tag;
      dialog.remote_target = target;
      dialog.flow_token = ctx.flow.token();
      onShard(m.shard, [id, expires, number, dialog = std::move(dialog)](MsPresence& owner) {
        owner.refreshMember(id, expires, number, dialog);
      });
    }
  }
  return true;
}

// ---- SERVICE ----

void MsPresence::onService(RequestContext& ctx, const std::string& aor) {
  const std::string type = contentTypeOf(ctx.request);
  if (type == kCategoryPublishType) {
    servicePublish(ctx, aor);
  } else if (type == kSoapType) {
    serviceSoap(ctx, aor);
  } else if (type == kSetContainerMembersContentType) {
    serviceContainers(ctx, aor);
  } else if (type == kSetSubscribersType) {
    serviceSubscribers(ctx, aor);
  } else {
    ctx.router.reply(ctx, 415, "Unsupported Media Type",
                     {{"Accept", std::string(kCategoryPublishType) + ", application/SOAP+xml, " +
                                     std::string(kSetContainerMembersContentType) + ", " +
                                     std::string(kSetSubscribersType)}});
  }
}

void MsPresence::servicePublish(RequestContext& ctx, const std::string& aor) {
  static auto published = proxy::counters::get("presence.ms.publish");
  static auto conflicts = proxy::counters::get("presence.ms.publish_conflict");
  auto parsed = parseCategoryPublish(ctx.request.body(), options_.xml);
  if (!parsed) {
    replyError(ctx, parsed.error());
    return;
  }
  if (!parsed->uri.empty() && localAor(parsed->uri, router_.us()) != aor) {
    ctx.router.reply(ctx, 403, "Publications Must Be Your Own");
    return;
  }
  std::string epid;
  if (auto from = ctx.request.from()) {
    if (const proxy::sip::Param* param = from->param("epid")) {
      epid = std::string(param->value);
    }
  }
  MsAccount& account = accountOf(aor);
  CategoryPublishOutcome outcome =
      applyCategoryPublish(account, *parsed, epid, clock_.unixSeconds());
  if (!outcome.conflicts.empty()) {
    conflicts.add();
    replyWithBody(ctx, 409, kMsFaultContentType, renderWrongDeltaFault(outcome.conflicts));
    return;
  }
  published.add();
  ctx.router.reply(ctx, 200, "OK");
  if (!outcome.changed) {
    return;
  }
  persist(aor);
  feedPresence(aor);
  for (auto& [key, d] : dialogs_) {
    if (d.aor == aor && d.event == kRoamingSelf && d.sections.categories) {
      sendNotify(d, kSelfType, roamingSelfBody(aor, d.sections));
    }
  }
}

void MsPresence::serviceSoap(RequestContext& ctx, const std::string& aor) {
  static auto edits = proxy::counters::get("presence.ms.contact_edit");
  auto parsed = roaming::parseContactSoap(ctx.request.body(), options_.xml);
  if (!parsed) {
    replyError(ctx, parsed.error());
    return;
  }
  MsAccount& account = accountOf(aor);
  auto outcome = roaming::applyContactSoap(account.contacts, *parsed, options_.contacts);
  if (!outcome) {
    replyError(ctx, outcome.error());
    return;
  }
  edits.add();
  replyWithBody(ctx, 200, "application/SOAP+xml", outcome->response_body);
  if (outcome->delta.empty()) {
    return;
  }
  persist(aor);
  notifyDialogs(aor, kRoamingContacts, kContactsType, roaming::renderContactDelta(outcome->delta));
}

void MsPresence::replaceContacts(const std::string& aor, roaming::ContactList contacts,
                                 const std::vector<roaming::ContactListDelta>& deltas) {
  accountOf(aor).contacts = std::move(contacts);
  persist(aor);
  for (const roaming::ContactListDelta& delta : deltas) {
    notifyDialogs(aor, kRoamingContacts, kContactsType, roaming::renderContactDelta(delta));
  }
}

void MsPresence::serviceContainers(RequestContext& ctx, const std::string& aor) {
  auto parsed = parseSetContainerMembers(ctx.request.body(), options_.xml);
  if (!parsed) {
    replyError(ctx, parsed.error());
    return;
  }
  MsAccount& account = accountOf(aor);
  applyContainerMembers(account, *parsed);
  // Containers are access levels: the blocked container is a Block rule; a user
  // or domain put in any other container is allowed (and so unblocked).
  for (const ContainerUpdate& update : parsed->containers) {
    for (const ContainerMember& m : update.members) {
      if (m.type != MemberType::User && m.type != MemberType::Domain) {
        continue;  // sameEnterprise, federated...: the configured defaults decide
      }
      const bool domain = m.type == MemberType::Domain;
      std::string match =
          domain ? proxy::toLower(m.value)
                 : std::string(roaming::uriWithoutSipScheme(roaming::normalizeContactUri(m.value)));
      match = proxy::toLower(match);
      if (match.empty()) {
        continue;
      }
      if (m.action == MemberAction::Remove) {
        presence_.removeRule(aor, domain, match);
        continue;
      }
      const Decision decision = update.id == kContainerBlocked ? Decision::Block : Decision::Allow;
      presence_.setRule(aor, WatcherRule{domain, match, decision});
    }
  }
  persist(aor);
  ctx.router.reply(ctx, 200, "OK");
  presence_.viewsChanged(aor);
}

void MsPresence::serviceSubscribers(RequestContext& ctx, const std::string& aor) {
  auto doc = XmlDocument::parse(ctx.request.body(), options_.xml);
  if (!doc) {
    replyError(ctx, doc.error());
    return;
  }
  MsAccount& account = accountOf(aor);
  for (XmlElement subscriber : doc->root().children()) {
    if (subscriber.local() != "subscriber") {
      continue;
    }
    auto user = subscriber.attribute("user");
    if (user && !user->empty()) {
      std::string watcher =
          proxy::toLower(roaming::uriWithoutSipScheme(roaming::normalizeContactUri(*user)));
      if (!watcher.empty()) {
        account.acknowledged.insert(std::move(watcher));
      }
    }
  }
  persist(aor);
  ctx.router.reply(ctx, 200, "OK");
}

ViewId MsPresence::viewFor(std::string_view presentity, std::string_view watcher,
                           int format) const {
  if (format != presence_.renderers().find(kMsEventCategoriesType)) {
    return kViewFull;
  }
  const MsAccount* a = account(presentity);
  if (a == nullptr || a->containers.empty()) {
    return kViewFull;
  }
  const std::string user = "sip:" + std::string(watcher);
  const std::string_view domain = domainPart(watcher);
  const bool local = router_.us().isLocalDomain(domain);
  auto matches = [&](const roaming::RoamingMember& m, int pass) {
    switch (pass) {
      case 0:
        return m.type == "user" && proxy::iequals(m.value, user);
      case 1:
        return m.type == "domain" && proxy::iequals(m.value, domain);
      case 2:
        return m.type == "sameEnterprise" && local;
      case 3:
        return (m.type == "federated" || m.type == "publicCloud") && !local;
      default:
        return m.type == "everyone";
    }
  };
  for (int pass = 0; pass < 5; ++pass) {
    // The most private container wins when several match in the same pass.
    for (auto it = a->containers.rbegin(); it != a->containers.rend(); ++it) {
      for (const roaming::RoamingMember& m : it->second.members) {
        if (matches(m, pass)) {
          return it->first >= kContainerBlocked ? kViewOffline : kViewContainerBase + it->first;
        }
      }
    }
  }
  return kViewFull;
}

// ---- Registration and time ----

void MsPresence::registrationChanged(std::string_view aor, bool registered) {
  if (registered) {
    return;
  }
  auto it = accounts_.find(std::string(aor));
  if (it == accounts_.end() || !dropEndpointPublications(it->second)) {
    return;
  }
  persist(it->first);
  feedPresence(it->first);
}

void MsPresence::scheduleExpiry(const std::string& key, int64_t at) {
  deadlines_.emplace(at, key);
  if (at >= armed_at_) {
    return;  // the timer fires earlier and re-arms for what is next
  }
  if (!expiry_timer_) {
    expiry_timer_ = std::make_unique<proxy::uv::Timer>(router_.shard().loop(), [this] {
      armed_at_ = INT64_MAX;
      expireDue();
    });
  }
  armed_at_ = at;
  expiry_timer_->start(static_cast<uint64_t>(std::max<int64_t>(0, at - clock_.monotonicMs())));
}

void MsPresence::expireDue() {
  const int64_t now = clock_.monotonicMs();
  while (!deadlines_.empty() && deadlines_.top().first <= now) {
    const std::string key = deadlines_.top().second;
    deadlines_.pop();
    if (auto self = dialogs_.find(key); self != dialogs_.end() && self->second.expires_ms <= now) {
      eraseSelf(self->second);
      dialogs_.erase(self);
    }
    if (auto batch = batches_.find(key);
        batch != batches_.end() && batch->second.expires_ms <= now) {
      eraseBatch(batch->second);
      batches_.erase(batch);
    }
  }
  if (!deadlines_.empty()) {
    const Deadline next = deadlines_.top();
    deadlines_.pop();
    scheduleExpiry(next.second, next.first);  // re-arms the timer
  }
}

void MsPresence::housekeeping() {
  flushHeldBatches();
  const int64_t now = clock_.monotonicMs();
  for (auto it = dialogs_.begin(); it != dialogs_.end();) {
    if (it->second.expires_ms > now) {
      ++it;
      continue;
    }
    eraseSelf(it->second);  // its record goes with it
    it = dialogs_.erase(it);
  }
  for (auto it = batches_.begin(); it != batches_.end();) {
    if (it->second.expires_ms > now) {
      ++it;
      continue;
    }
    eraseBatch(it->second);
    it = batches_.erase(it);
  }
}

}  // namespace core::presence
