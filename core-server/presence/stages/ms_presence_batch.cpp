// SPDX-License-Identifier: Apache-2.0
// MsPresence: the batched category SUBSCRIBE and its cross-shard fan-out/fan-in
// (see the header comment of ms_presence.h).
#include <array>

#include "core-server/presence/ms_batch_subscribe.h"
#include "core-server/presence/roaming/multipart.h"
#include "core-server/presence/roaming/rlmi.h"
#include "core-server/presence/stages/ms_presence.h"
#include "core-server/presence/stages/ms_renderer.h"
#include "core-server/presence/stages/ms_sip.h"
#include "proxy/base/counters.h"
#include "proxy/base/log.h"
#include "proxy/base/random.h"
#include "proxy/routing/stages/sanity_stage.h"

namespace core::presence {

using ms_sip::dialogOf;
using ms_sip::localAor;
using ms_sip::replyError;
using ms_sip::supports;
using proxy::routing::RequestContext;

namespace {

// A shard that never answers must not hold a SUBSCRIBE for ever.
constexpr int64_t kHeldBatchMaxMs = 2000;

}  // namespace

proxy::routing::Verdict MsPresence::onBatchSubscribe(proxy::routing::ContextPtr& ctx,
                                                     const std::string& aor,
                                                     std::string_view user) {
  static auto batches = proxy::counters::get("presence.ms.batch_subscribe");
  static constexpr std::array<std::string_view, 4> kTags = {"adhoclist", "categoryList",
                                                            "eventlist", "ms-benotify"};
  using proxy::routing::Verdict;
  if (proxy::routing::rejectUnsupportedRequire(*ctx, kTags)) {
    return Verdict::Done;
  }
  const proxy::sip::SipMessage& request = ctx->request;
  auto parsed = parseBatchSubscribe(request.body(), options_.xml);
  if (!parsed) {
    replyError(*ctx, parsed.error());
    return Verdict::Done;
  }
  std::optional<DialogState> dialog = dialogOf(*ctx, user);
  if (!dialog) {
    return Verdict::Done;
  }
  int format = presence_.renderers().find(kMsEventCategoriesType);
  if (format < 0) {
    format = presence_.renderers().find("application/pidf+xml");
  }
  const PresenceOptions& po = presence_.options();
  uint32_t expires = request.expires().value_or(po.subscribe_default_expires);
  if (expires != 0) {
    expires = std::clamp(expires, po.subscribe_min_expires, po.subscribe_max_expires);
  }
  batches.add();
  const int64_t now = clock_.monotonicMs();
  Batch batch;
  batch.aor = aor;
  batch.dialog = std::move(*dialog);
  batch.dialog.local_tag = proxy::randomToken(12);
  batch.format = format;
  batch.expires_ms = now + int64_t{expires} * 1000;
  batch.expires_s = expires;
  batch.expires_at_unix = clock_.unixSeconds() + int64_t{expires};
  const bool benotify = supports(request, "ms-benotify");
  std::vector<std::pair<std::string, SubscribeRequest>> starts;
  std::set<std::string> seen;
  for (const BatchAction& action : parsed->actions) {
    for (const BatchResource& resource : action.resources) {
      std::string presentity = localAor(resource.uri, router_.us());
      if (presentity.empty() || !seen.insert(presentity).second) {
        continue;  // not one of our users (federation is another piece of work)
      }
      SubscribeRequest s;
      s.presentity = presentity;
      s.watcher = aor;
      s.format = format;
      s.benotify = benotify;
      s.expires = expires;
      s.dialog = batch.dialog;
      s.dialog.local_tag.clear();  // each resource's NOTIFYs carry their own From tag
      BatchMember member;
      member.resource = presentity;
      member.shard = router_.ownerOfAor(presentity);
      batch.members.push_back(std::move(member));
      starts.emplace_back(presentity, std::move(s));
    }
  }
  const std::string key = dialogKey(batch.dialog);
  // Piggy-backing needs a live subscription: a fetch (Expires 0) ends with NOTIFYs.
  const bool piggyback =
      expires != 0 && !starts.empty() && supports(request, "ms-piggyback-first-notify");
  Verdict verdict = Verdict::Done;
  if (piggyback) {
    batch.waiting = starts.size();
    batch.held_since_ms = now;
    batch.held = std::move(ctx);
    verdict = Verdict::Pause;
  } else {
    replyBatch(batch, *ctx, /*with_documents=*/false);
  }
  if (expires != 0) {
    persistBatch(batches_[key] = std::move(batch));  // its members' tags follow as they start
    scheduleExpiry(key, now + int64_t{expires} * 1000);
  }
  const unsigned home = router_.shardId();
  for (auto& start : starts) {
    onShard(router_.ownerOfAor(start.first),
            [key, home, piggyback, resource = start.first,
             s = std::move(start.second)](MsPresence& owner) mutable {
              owner.startMember(key, home, resource, std::move(s), piggyback);
            });
  }
  return verdict;
}

void MsPresence::replyHeldBatch(Batch& batch) {
  if (batch.held) {
    proxy::routing::ContextPtr held = std::move(batch.held);
    replyBatch(batch, *held, /*with_documents=*/true);
  }
}

void MsPresence::replyBatch(Batch& batch, RequestContext& ctx, bool with_documents) {
  std::vector<roaming::MimePart> parts;
  if (with_documents) {
    roaming::RlmiList list;
    list.uri = "sip:" + batch.aor;
    list.version = 0;
    list.full_state = true;
    for (size_t i = 0; i < batch.members.size(); ++i) {
      const BatchMember& m = batch.members[i];
      roaming::RlmiResource resource;
      resource.uri = "sip:" + m.resource;
      roaming::RlmiInstance instance;
      instance.id = std::to_string(i + 1);
      if (!m.answered) {
        instance.state = roaming::InstanceState::Pending;
      } else if (m.id == 0) {
        instance.state = roaming::InstanceState::Terminated;
        instance.reason = "rejected";
      } else if (m.body) {
        instance.cid = "r" + std::to_string(i + 1) + "." + batch.dialog.local_tag + "@confab";
        parts.push_back({m.content_type, instance.cid, *m.body});
      } else {
        instance.state = roaming::InstanceState::Pending;
      }
      resource.instances.push_back(std::move(instance));
      list.resources.push_back(std::move(resource));
    }
    const std::string root_id = "rlmi." + batch.dialog.local_tag + "@confab";
    parts.insert(parts.begin(), {"application/rlmi+xml", root_id, roaming::renderRlmi(list)});
  }
  proxy::sip::ResponseBuilder builder(ctx.request, 200, "OK");
  builder.toTag(batch.dialog.local_tag);
  builder.header("Server", ctx.router.config().server_name);
  builder.header("Expires", std::to_string(batch.expires_s));
  builder.header("Event", "presence");
  builder.header("Contact", batch.dialog.local_contact);
  if (with_documents) {
    auto multipart = roaming::buildMultipartRelated(
        roaming::makeBoundary(std::hash<std::string>{}(batch.dialog.local_tag)), parts);
    if (multipart) {
      builder.header("ms-piggyback-cseq", "1");
      builder.body(multipart->content_type, multipart->body);
    } else {
      LOG_WARN("presence: batch document for %s not built: %s", batch.aor.c_str(),
               multipart.error().detail.c_str());
    }
  }
  ctx.router.replyBytes(ctx, 200, builder.build());
}

void MsPresence::onShard(unsigned shard, std::function<void(MsPresence&)> task) {
  if (shard == router_.shardId() || shard >= peers_.size() || peers_[shard] == nullptr) {
    task(*this);
    return;
  }
  // The peer is looked up when the task runs, on its own shard: at shutdown it
  // may be gone by then (its slot is cleared on that same thread).
  const std::vector<MsPresence*>* peers = &peers_;
  auto run = [peers, shard, task = std::move(task)] {
    if (MsPresence* peer = (*peers)[shard]) {
      task(*peer);
    }
  };
  if (options_.post_to_shard) {
    options_.post_to_shard(shard, std::move(run));
  } else {
    peers_[shard]->router_.shard().post(std::move(run));
  }
}

void MsPresence::startMember(std::string batch_key, unsigned home, std::string resource,
                             SubscribeRequest request, bool piggyback) {
  SubscribeResult result = presence_.subscribe(std::move(request));
  MemberStart start;
  start.resource = std::move(resource);
  start.shard = router_.shardId();
  if (result.status < 300) {
    start.id = result.id;
    start.local_tag = result.local_tag;
    std::optional<PresenceService::OwedNotify> owed;
    if (piggyback) {
      owed = presence_.takeOwedNotify(result.id);
    }
    if (owed) {
      start.content_type = std::string(owed->content_type);
      start.body = std::move(owed->body);
    } else {
      presence_.sendOwedNotify(result.id);  // full state first, in its own NOTIFY
    }
  }
  onShard(home, [batch_key = std::move(batch_key),
                 start = std::move(start)](MsPresence& batch_shard) mutable {
    batch_shard.memberStarted(batch_key, std::move(start));
  });
}

void MsPresence::refreshMember(SubscriptionId id, std::optional<uint32_t> expires, uint32_t cseq,
                               const DialogState& dialog) {
  if (id == 0 || presence_.subscription(id) == nullptr) {
    auto found = presence_.findDialog(dialog.call_id, dialog.local_tag, dialog.remote_tag);
    if (!found) {
      return;  // it ended meanwhile (expired, or its NOTIFYs failed)
    }
    id = *found;
  }
  SubscribeResult result =
      presence_.refresh(id, expires, cseq, dialog.remote_target, dialog.flow_token);
  if (result.status < 300) {
    presence_.sendOwedNotify(id);
  }
}

void MsPresence::memberStarted(const std::string& batch_key, MemberStart start) {
  auto it = batches_.find(batch_key);
  if (it == batches_.end()) {
    if (start.id != 0) {
      // Un-SUBSCRIBEd (or a fetch) while the owner was starting it: end it there too.
      const SubscriptionId id = start.id;
      onShard(start.shard, [id](MsPresence& owner) { owner.refreshMember(id, 0, 0); });
    }
    return;
  }
  Batch& batch = it->second;
  for (BatchMember& m : batch.members) {
    if (m.resource == start.resource && m.shard == start.shard && !m.answered) {
      m.answered = true;
      m.id = start.id;
      m.local_tag = std::move(start.local_tag);
      m.content_type = std::move(start.content_type);
      m.body = std::move(start.body);
      if (batch.held && batch.waiting > 0 && --batch.waiting == 0) {
        replyHeldBatch(batch);
      }
      break;
    }
  }
  if (!batch.held) {
    for (BatchMember& m : batch.members) {
      m.body.reset();  // sent: keep no copies
    }
  }
  const bool all_answered = std::all_of(batch.members.begin(), batch.members.end(),
                                        [](const BatchMember& m) { return m.answered; });
  if (all_answered) {
    persistBatch(batch);  // with every member's tag: one write per batch, not per member
  }
}

void MsPresence::flushHeldBatches() {
  const int64_t now = clock_.monotonicMs();
  for (auto& [key, batch] : batches_) {
    if (batch.held && now - batch.held_since_ms > kHeldBatchMaxMs) {
      replyHeldBatch(batch);  // send what we have
    }
  }
}

}  // namespace core::presence
